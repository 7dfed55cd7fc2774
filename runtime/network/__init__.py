"""Host networking: bridges, IPAM, per-container wiring, the embedded DNS, published ports."""
