"""Adapters of the ticketing package: ORM, repository, calendar store, notifiers."""
