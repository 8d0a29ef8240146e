"""Group mapping pages, one module per subject: groups, incidents, network, imports and exports."""
