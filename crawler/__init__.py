"""The Scrapy project and the daemon's composition root: spiders, middlewares, pipelines, runner."""
