"""Items the feed spider yields: our plain :class:`alerts.models.Article` is the item.

Scrapy accepts dataclass instances as items, so nothing is re-declared here; this alias only
names the item type for readers of the spider and pipeline.
"""

from alerts.models import Article

ArticleItem = Article

__all__ = ["ArticleItem"]
