"""What checks write for people and for CI: files written whole, GitHub annotations, SARIF."""
