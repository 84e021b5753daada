"""The rota: visiting rules per child, scheduled visits with their history, clashes and unannounced visits."""
