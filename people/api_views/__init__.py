"""The people registry's REST endpoints, one module per capability (DESIGN.md: a module that grows becomes a
package): places (place suggestions), search (people list and identity), matches (suggestions, merge,
unmerge, the review queue), network (links and the graph), routes (route counts)."""
