public import HealthOTLP

/// The exporter's types that are part of the tracing API, by the names they had when the
/// exporter lived here: a module that only traces needs no import of HealthOTLP.
public typealias EncodedSpanFields = HealthOTLP.EncodedSpanFields

/// What the span exporter has done with the spans it was given (HealthOTLP's type).
public typealias SpanExportCounts = HealthOTLP.SpanExportCounts
