"""Scrapy spiders of aidwatch (``scrapy list`` finds them here)."""
