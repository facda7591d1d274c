// Unit tests of BookshelfJSON live here, one file per type.
