"""rivermap's test suite (a package, so that tests can share helpers such as tests.browser)."""
