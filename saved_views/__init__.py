"""Saved device-list views: a filter, sort and columns with a name, personal or shared
with an organization."""
