"""Forms of case files, one module per part of the file (as cases/services/)."""
