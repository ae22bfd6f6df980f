"""Safe web page fetching and article text extraction."""
