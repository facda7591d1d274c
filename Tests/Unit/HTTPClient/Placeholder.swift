// Unit tests of HTTPClient live here, one file per type.
