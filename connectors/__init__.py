"""Platform connectors: fetch remote catalogues and map them to DCAT-AP records."""
