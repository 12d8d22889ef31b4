"""Singer tap for Heymarket, the business texting platform."""
