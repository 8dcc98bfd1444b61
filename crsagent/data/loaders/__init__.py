"""Dataset loaders, one file per data source."""
