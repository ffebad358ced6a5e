"""Customer journeys: contacts stitched into journeys (cxpm.journeys.stitch), materialised as
the warehouse tables journeys and journey_steps (cxpm.journeys.build: build_journeys), and
read by the metric engine's journey sources (cxpm.journeys.sources)."""
