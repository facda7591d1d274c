// Unit tests of ServiceKit live here, one file per type.
