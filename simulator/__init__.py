"""A loopback open-data portal simulator: CKAN, Socrata, DCAT-US and DCAT Turtle over one
deterministic synthetic corpus, with fault modes (see ``moisson-sim serve --help``)."""
