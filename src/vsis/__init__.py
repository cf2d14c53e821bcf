"""vsis: volunteer-service information system."""
