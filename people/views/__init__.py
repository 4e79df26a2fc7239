"""The people registry's pages, one module per capability: search (person search, identity page), matches
(suggestions on the form, the review queue), network (the graph, manual links), routes (the flow diagram)."""
