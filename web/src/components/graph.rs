//! The pipeline graph: the plan's operators as boxes from the sources (top) to the
//! destinations (bottom), with live counts on every edge, and a table of the
//! operators' counters and throughput. Clean SVG, laid out here.

use sluice_engine::Engine;
use sluice_engine::exec::Node;
use yew::prelude::*;

const BOX_W: f64 = 236.0;
const BOX_H: f64 = 40.0;
const LANE_W: f64 = 262.0;
const ROW_H: f64 = 54.0;
const PAD: f64 = 8.0;

/// Where each operator goes: (lane, row), rows counted from the sources down.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    /// (lane, row) by node id.
    pub at: Vec<(usize, usize)>,
    /// Lanes in all.
    pub lanes: usize,
    /// Operator rows in all (the destinations go one row below).
    pub rows: usize,
}

/// Lays out a tree of nodes rooted at 0: each node's first input stays in its
/// lane and further inputs open new lanes; a node's row is its distance from the
/// deepest leaf, so every source sits at the top.
pub fn layout(children: &[Vec<usize>]) -> Layout {
    let n = children.len();
    let mut depth = vec![0usize; n];
    let mut lane = vec![0usize; n];
    let mut lanes = if n == 0 { 0 } else { 1 };
    // Iterative DFS from the root (node 0): (node, depth, lane).
    let mut stack = vec![(0usize, 0usize, 0usize)];
    let mut seen = vec![false; n];
    while let Some((id, d, l)) = stack.pop() {
        if id >= n || seen[id] {
            continue;
        }
        seen[id] = true;
        depth[id] = d;
        lane[id] = l;
        // Push in reverse so the first input is visited first and keeps the lane.
        let kids = &children[id];
        let mut assigned: Vec<(usize, usize)> = Vec::with_capacity(kids.len());
        for (i, &c) in kids.iter().enumerate() {
            let cl = if i == 0 {
                l
            } else {
                lanes += 1;
                lanes - 1
            };
            assigned.push((c, cl));
        }
        for (c, cl) in assigned.into_iter().rev() {
            stack.push((c, d + 1, cl));
        }
    }
    let max_depth = depth.iter().copied().max().unwrap_or(0);
    Layout {
        at: (0..n).map(|i| (lane[i], max_depth - depth[i])).collect(),
        lanes,
        rows: max_depth + 1,
    }
}

/// The EXPLAIN line's detail: what follows `Kind:` up to the boundedness marker.
pub fn detail(label: &str) -> String {
    let text = sluice_engine::exec::readable(label);
    let text = text.split(" [").next().unwrap_or_default();
    let text = text.split_once(": ").map_or(text, |(_, rest)| rest);
    text.to_string()
}

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

fn center(lane: usize, row: usize) -> (f64, f64) {
    (
        PAD + lane as f64 * LANE_W + BOX_W / 2.0,
        PAD + row as f64 * ROW_H + BOX_H / 2.0,
    )
}

fn edge(from: (f64, f64), to: (f64, f64), count: u64, live: bool) -> Html {
    let (x1, y1) = (from.0, from.1 + BOX_H / 2.0);
    let (x2, y2) = (to.0, to.1 - BOX_H / 2.0);
    let mid = (y1 + y2) / 2.0;
    let d = format!("M{x1},{y1} C{x1},{mid} {x2},{mid} {x2},{y2}");
    html! {
        <g class={classes!("edge", live.then_some("flowing"))}>
            <path d={d} />
            <text x={format!("{}", (x1 + x2) / 2.0 + 6.0)} y={format!("{}", mid + 4.0)}>{ count }</text>
        </g>
    }
}

fn node_box(n: &Node, (cx, cy): (f64, f64)) -> Html {
    let x = cx - BOX_W / 2.0;
    let y = cy - BOX_H / 2.0;
    let s = &n.stats;
    let counts = if n.bounded {
        format!("computed once · {} rows", s.rows_out)
    } else if s.dropped > 0 {
        format!(
            "in {} · out {} · dropped {}",
            s.rows_in, s.rows_out, s.dropped
        )
    } else {
        format!("in {} · out {}", s.rows_in, s.rows_out)
    };
    let full = sluice_engine::exec::readable(&n.label);
    html! {
        <g class={classes!("op", n.bounded.then_some("bounded"), (s.dropped > 0).then_some("drops"))}
            data-op={n.id.to_string()}>
            <title>{ full }</title>
            <rect x={x.to_string()} y={y.to_string()} width={BOX_W.to_string()} height={BOX_H.to_string()} rx="5" />
            <text class="kind" x={(x + 8.0).to_string()} y={(y + 16.0).to_string()}>
                <tspan class="k">{ n.kind }</tspan>
                <tspan class="d" dx="6">{ shorten(&detail(&n.label), 30) }</tspan>
            </text>
            <text class="counts" x={(x + 8.0).to_string()} y={(y + 32.0).to_string()}>{ counts }</text>
        </g>
    }
}

fn sink(label: &str, what: &str, count: u64, (cx, cy): (f64, f64)) -> Html {
    let x = cx - BOX_W / 2.0;
    let y = cy - BOX_H / 2.0;
    html! {
        <g class="op sink">
            <rect x={x.to_string()} y={y.to_string()} width={BOX_W.to_string()} height={BOX_H.to_string()} rx="5" />
            <text class="kind" x={(x + 8.0).to_string()} y={(y + 16.0).to_string()}><tspan class="k">{ label.to_string() }</tspan></text>
            <text class="counts" x={(x + 8.0).to_string()} y={(y + 32.0).to_string()}>{ format!("{count} {what}") }</text>
        </g>
    }
}

/// The graph and the operators' table for `engine`'s current counts.
pub fn pipeline(engine: &Engine, playing: bool) -> Html {
    let nodes = engine.nodes();
    let children: Vec<Vec<usize>> = nodes.iter().map(|n| n.children.clone()).collect();
    let l = layout(&children);
    let lanes = l.lanes.max(2);
    let width = PAD * 2.0 + (lanes - 1) as f64 * LANE_W + BOX_W;
    let height = PAD * 2.0 + l.rows as f64 * ROW_H + BOX_H;
    let total = engine.outputs_total();
    let mut edges = Vec::new();
    for n in nodes {
        let (lane, row) = l.at[n.id];
        for &c in &n.children {
            let (cl, cr) = l.at[c];
            let child = &nodes[c];
            edges.push(edge(
                center(cl, cr),
                center(lane, row),
                child.stats.rows_out,
                playing && !child.bounded,
            ));
        }
    }
    let root = l.at.first().map_or((0, 0), |(lane, row)| (*lane, *row));
    let bq = center(0, l.rows);
    let ps = center(1, l.rows);
    if !nodes.is_empty() {
        edges.push(edge(center(root.0, root.1), bq, total, playing));
        edges.push(edge(center(root.0, root.1), ps, total, playing));
    }
    html! {
        <>
            <h2 class="section">{ "Pipeline" }</h2>
            // Focusable, so a keyboard can scroll a graph wider than the pane.
            <div class="graph-scroll" tabindex="0" role="region" aria-label="Pipeline graph">
                <svg id="pipeline" class="pipeline" viewBox={format!("0 0 {width} {height}")}
                    width={width.to_string()} height={height.to_string()} role="img"
                    aria-label="The query's operators from the sources to the destinations, with row counts">
                    { for edges }
                    { for nodes.iter().map(|n| node_box(n, center(l.at[n.id].0, l.at[n.id].1))) }
                    { sink("BigQuery destination", "rows", total, bq) }
                    { sink("Pub/Sub destination", "messages", total, ps) }
                </svg>
            </div>
            <details class="operators">
                <summary>{ "Operators" }</summary>
                <table id="operators" class="grid">
                    <thead><tr>
                        <th>{ "#" }</th><th>{ "Operator" }</th><th class="num">{ "In" }</th><th class="num">{ "Out" }</th>
                        <th class="num">{ "Dropped" }</th><th class="num">{ "State" }</th><th class="num" title="Rows per second of engine time (sampled)">{ "Rows/s" }</th>
                    </tr></thead>
                    <tbody>
                        { for nodes.iter().map(|op| {
                            let s = &op.stats;
                            let throughput = if s.nanos > 0 && !op.bounded {
                                format!("{:.0}", s.rows_in as f64 / (s.nanos as f64 / 1e9))
                            } else {
                                "–".to_string()
                            };
                            html! {
                                <tr class={classes!(op.bounded.then_some("bounded"))}>
                                    <td>{ op.id }</td>
                                    <td class="label" title={sluice_engine::exec::readable(&op.label)}>{ format!("{} {}", op.kind, detail(&op.label)) }</td>
                                    <td class="num">{ s.rows_in }</td>
                                    <td class="num">{ s.rows_out }</td>
                                    <td class="num">{ s.dropped }</td>
                                    <td class="num">{ s.state_rows }</td>
                                    <td class="num">{ throughput }</td>
                                </tr>
                            }
                        }) }
                    </tbody>
                </table>
            </details>
        </>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reference_plan_lays_out_in_two_lanes_with_sources_on_top() {
        // 0 Project <- 1 Filter <- 2 Join <- (3 Scan, 4 Project <- 5 Filter <- 6 Aggregate <- 7 Filter <- 8 Scan)
        let children = vec![
            vec![1],
            vec![2],
            vec![3, 4],
            vec![],
            vec![5],
            vec![6],
            vec![7],
            vec![8],
            vec![],
        ];
        let l = layout(&children);
        assert_eq!(l.lanes, 2);
        assert_eq!(l.rows, 8);
        assert_eq!(l.at[0], (0, 7));
        assert_eq!(l.at[2], (0, 5));
        assert_eq!(l.at[3], (0, 4));
        assert_eq!(l.at[4], (1, 4));
        assert_eq!(l.at[8], (1, 0));
    }

    #[test]
    fn unions_open_a_lane_per_input_and_cycles_do_not_hang() {
        let l = layout(&[vec![1, 2, 3], vec![], vec![], vec![]]);
        assert_eq!(l.lanes, 3);
        assert_eq!(l.at[1..], [(0, 0), (1, 0), (2, 0)]);
        let l = layout(&[vec![1], vec![0]]);
        assert_eq!(l.at.len(), 2);
        assert!(layout(&[]).at.is_empty());
    }

    #[test]
    fn details_drop_the_kind_and_the_boundedness() {
        assert_eq!(
            detail("Filter: (order_status#3 != 'Cancelled') [unbounded] -> (a:INT64)"),
            "(order_status != 'Cancelled')"
        );
        assert_eq!(shorten("abcdef", 4), "abc…");
    }
}
