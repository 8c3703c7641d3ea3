"""aidwatch core: everything that does not need Scrapy (classification, incidents, storage, delivery, API)."""
