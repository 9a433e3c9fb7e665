"""What the driving adapters (the JSON API, the pages, the command line) share."""
