"""The listening stage: one input -> speech detection -> utterances -> the direction that
translates each (segmenter, arbiter, language identifier, input pipeline)."""
