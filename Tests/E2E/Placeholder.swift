// E2E journeys through the gateway; skipped unless BOOKSHELF_GATEWAY_URL is set.
