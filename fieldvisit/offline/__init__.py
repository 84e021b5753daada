"""The offline app: the installable shell and service worker, the tablet's pack, and the sync API."""
