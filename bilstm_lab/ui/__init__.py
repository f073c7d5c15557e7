"""Streamlit front end: the only part of the library that imports streamlit."""
