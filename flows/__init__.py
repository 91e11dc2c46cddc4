"""The recueil pipeline: parse, validate, merge, render, and the Prefect flow that wires them."""
