//! Checks of the span table against the elements it locates.
//!
//! A network lowered from source names its files, and then every element
//! must have a span, so that a late error can point at its line. A network
//! built in code names no file and need not have spans. Either way no span
//! may outlive its element: the graph reuses freed indices, and a later
//! element would inherit the stale span.

use crate::ids::{ModelId, NodeId, ProjId};
use crate::span::Span;
use crate::verify::{Element, Report, counted};

/// Checks every span and that every element has one where spans are
/// expected.
pub(super) fn check(report: &mut Report) {
    let network = report.network;
    let spans = &network.spans;
    let required = !spans.files.is_empty();

    let nodes = network.nodes().map(|(id, _)| id);
    let edges = network.graph.edge_indices().map(ProjId::from);
    let models = (0..network.models.len()).map(|i| ModelId(i as u32));
    let mut present: Vec<(Element, Option<&Span>)> = Vec::new();
    present.extend(nodes.map(|id| (Element::Node(id), spans.nodes.get(&id))));
    present.extend(edges.map(|id| (Element::Projection(id), spans.edges.get(&id))));
    present.extend(models.map(|id| (Element::Model(id), spans.models.get(&id))));
    present.extend((0..network.records.len()).map(|i| (Element::Record(i), spans.records.get(i))));
    for (element, span) in present {
        match span {
            Some(span) => {
                if let Some(problem) = span_problem(span, spans.files.len()) {
                    report.push(element, problem);
                }
            }
            None if required => report.push(element, "has no source span".to_string()),
            None => {}
        }
    }

    let stale_nodes = spans.nodes.keys().filter(|id| network.node(**id).is_none());
    let stale_edges = spans
        .edges
        .keys()
        .filter(|id| network.graph.edge_weight(id.index()).is_none());
    let stale_models = spans
        .models
        .keys()
        .filter(|id| network.model(**id).is_none());
    let mut stale: Vec<Element> = Vec::new();
    stale.extend(stale_nodes.map(|id: &NodeId| Element::Node(*id)));
    stale.extend(stale_edges.map(|id: &ProjId| Element::Projection(*id)));
    stale.extend(stale_models.map(|id: &ModelId| Element::Model(*id)));
    stale.extend((network.records.len()..spans.records.len()).map(Element::Record));
    for element in stale {
        report.push(element, "has a source span but does not exist".to_string());
    }
}

fn span_problem(span: &Span, files: usize) -> Option<String> {
    if span.file.0 as usize >= files {
        Some(format!(
            "span is in file #{}, but the span table lists {}",
            span.file.0,
            counted(files, "file")
        ))
    } else if span.start > span.end {
        Some(format!(
            "span {}..{} ends before it starts",
            span.start, span.end
        ))
    } else {
        None
    }
}
