"""Agreements between the parties (合作协议): risk sharing, linkage and subsidy, versioned."""
