"""The DCAT-AP record model, vocabularies and RDF in/out. No I/O here."""
