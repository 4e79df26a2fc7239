"""Forms of prosecution, one module per part (as prosecution/services/)."""
