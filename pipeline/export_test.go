package pipeline

// WithAfterPublish exposes the crash hook to the external tests.
var WithAfterPublish = withAfterPublish
