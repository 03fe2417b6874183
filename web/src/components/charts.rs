//! The dashboard: events per second and matches over time (line charts), top keys
//! by spend and drop reasons (bar charts). Clean SVG from the session's history.

use std::collections::VecDeque;

use yew::prelude::*;

use crate::simulation::{Sample, Session};

const W: f64 = 320.0;
const H: f64 = 96.0;

/// Events per second of wall-clock time over the last second or so of history.
pub fn events_per_second(history: &VecDeque<Sample>) -> f64 {
    let Some(last) = history.back() else {
        return 0.0;
    };
    let from = history
        .iter()
        .rev()
        .find(|s| last.wall_ms - s.wall_ms >= 1000.0)
        .or(history.front());
    match from {
        Some(first) if last.wall_ms > first.wall_ms => {
            (last.events - first.events) as f64 * 1000.0 / (last.wall_ms - first.wall_ms)
        }
        _ => 0.0,
    }
}

/// Rates between consecutive samples, per wall-clock second: (events, outputs, drops).
pub fn rates(history: &VecDeque<Sample>) -> Vec<(f64, f64, f64)> {
    history
        .iter()
        .zip(history.iter().skip(1))
        .filter(|(a, b)| b.wall_ms > a.wall_ms)
        .map(|(a, b)| {
            let per = 1000.0 / (b.wall_ms - a.wall_ms);
            (
                (b.events - a.events) as f64 * per,
                (b.outputs - a.outputs) as f64 * per,
                (b.dropped - a.dropped) as f64 * per,
            )
        })
        .collect()
}

/// A polyline's points for `values` scaled into the chart with `max` at the top.
pub fn points(values: &[f64], max: f64) -> String {
    if values.is_empty() {
        return String::new();
    }
    let max = if max > 0.0 { max } else { 1.0 };
    let step = W / (values.len().max(2) - 1) as f64;
    values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            format!(
                "{:.1},{:.1}",
                i as f64 * step,
                H - (v / max).clamp(0.0, 1.0) * (H - 4.0)
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn compact(x: f64) -> String {
    if x >= 1e6 {
        format!("{:.1}M", x / 1e6)
    } else if x >= 1e4 {
        format!("{:.0}k", x / 1e3)
    } else if x >= 100.0 || x == x.trunc() {
        format!("{x:.0}")
    } else {
        format!("{x:.1}")
    }
}

fn line_chart(id: &str, title: &str, series: &[(&str, Vec<f64>)]) -> Html {
    let max = series
        .iter()
        .flat_map(|(_, v)| v.iter().copied())
        .fold(0.0_f64, f64::max);
    html! {
        <figure class="chart" id={id.to_string()}>
            <figcaption>
                { title.to_string() }
                { for series.iter().map(|(name, v)| html! {
                    <span class={classes!("legend", name.to_string())}>{ format!("{name} {}", compact(v.last().copied().unwrap_or(0.0))) }</span>
                }) }
            </figcaption>
            <svg viewBox={format!("0 0 {W} {H}")} preserveAspectRatio="none" role="img" aria-label={title.to_string()}>
                <line class="axis" x1="0" y1={H.to_string()} x2={W.to_string()} y2={H.to_string()} />
                { for series.iter().map(|(name, v)| html! {
                    <polyline class={classes!("series", name.to_string())} points={points(v, max)} />
                }) }
            </svg>
            <span class="max">{ format!("max {}/s", compact(max)) }</span>
        </figure>
    }
}

fn bar_chart(id: &str, title: &str, bars: &[(String, f64)], unit: &str) -> Html {
    let max = bars.iter().map(|(_, v)| *v).fold(0.0_f64, f64::max);
    html! {
        <figure class="chart bars" id={id.to_string()}>
            <figcaption>{ title.to_string() }</figcaption>
            if bars.is_empty() {
                <p class="placeholder">{ "Nothing yet." }</p>
            }
            <ol>
                { for bars.iter().map(|(label, v)| {
                    let pct = if max > 0.0 { v / max * 100.0 } else { 0.0 };
                    html! {
                        <li title={format!("{label}: {v:.2}{unit}")}>
                            <span class="bar-label">{ label.clone() }</span>
                            <span class="bar"><span style={format!("width: {pct:.1}%")}></span></span>
                            <span class="bar-value">{ compact(*v) }</span>
                        </li>
                    }
                }) }
            </ol>
        </figure>
    }
}

/// The dashboard for `s`.
pub fn dashboard(s: &Session) -> Html {
    let rates = rates(s.history());
    let events: Vec<f64> = rates.iter().map(|r| r.0).collect();
    let outputs: Vec<f64> = rates.iter().map(|r| r.1).collect();
    let drops: Vec<f64> = rates.iter().map(|r| r.2).collect();
    let (key, value, top) = s.top(8);
    let top: Vec<(String, f64)> = top
        .into_iter()
        .map(|(k, v)| (format!("{key} {k}"), v))
        .collect();
    let reasons: Vec<(String, f64)> = s
        .engine()
        .drop_summary()
        .into_iter()
        .take(6)
        .map(|(r, n)| (r, n as f64))
        .collect();
    html! {
        <>
            <h2 class="section">{ "Dashboard" }</h2>
            <div id="dashboard" class="dashboard">
                { line_chart("chart-events", "Events/s", &[("events", events)]) }
                { line_chart("chart-matches", "Matches and drops/s", &[("matches", outputs), ("drops", drops)]) }
                { bar_chart("chart-top", &format!("Top by {value}"), &top, "") }
                { bar_chart("chart-reasons", "Drop reasons", &reasons, " events") }
            </div>
        </>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(wall_ms: f64, events: u64, outputs: u64) -> Sample {
        Sample {
            wall_ms,
            sim_time: 0,
            events,
            outputs,
            dropped: events - outputs,
        }
    }

    #[test]
    fn rates_are_per_wall_clock_second() {
        let history: VecDeque<Sample> = [
            sample(0.0, 0, 0),
            sample(250.0, 100, 60),
            sample(500.0, 300, 160),
        ]
        .into();
        assert_eq!(
            rates(&history),
            [(400.0, 240.0, 160.0), (800.0, 400.0, 400.0)]
        );
        assert_eq!(events_per_second(&history), 600.0);
        assert_eq!(events_per_second(&VecDeque::new()), 0.0);
        assert_eq!(events_per_second(&[sample(5.0, 1, 1)].into()), 0.0);
    }

    #[test]
    fn points_scale_into_the_chart() {
        assert_eq!(points(&[], 1.0), "");
        assert_eq!(points(&[0.0, 10.0], 10.0), "0.0,96.0 320.0,4.0");
        assert_eq!(compact(12_345.0), "12k");
        assert_eq!(compact(2.5), "2.5");
    }
}
