"""Settings, store, search index, harvest runs, scheduling and the command line."""
