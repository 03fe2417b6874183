//! The simulation panel: controls (play, pause, step, speed, reset), and what a
//! running [`Session`] shows — counters, the pipeline graph, the destinations and
//! the dashboard. Simulation runs in time slices on animation frames (a few
//! milliseconds of engine work a frame), so the page keeps drawing while it runs.

use std::cell::RefCell;
use std::rc::Rc;

use gloo_render::AnimationFrame;
use sluice_sql::{Catalog, Plan};
use yew::prelude::*;

use crate::components::outputs::Selection;
use crate::components::{charts, graph, outputs};
use crate::simulation::{Samples, Session, Settings, Speed};
use crate::timing::{mark, measure};

/// Engine work per animation frame, in milliseconds: leaves the rest of a 60 Hz
/// frame (16.7 ms) to drawing.
pub const FRAME_BUDGET_MS: f64 = 7.0;
/// Events pushed between two looks at the clock.
const SLICE: usize = 256;
/// How often the charts take a sample, in wall-clock milliseconds.
const SAMPLE_MS: f64 = 250.0;
/// How often part of the panel redraws while playing, in wall-clock milliseconds:
/// the engine works every frame; the destinations and the graph with the
/// dashboard take turns, so each follows at 20 Hz and no frame draws both (the
/// graph's flow animation is CSS and keeps the display's rate).
const REDRAW_MS: f64 = 25.0;

/// The panel's inputs.
#[derive(Properties, PartialEq)]
pub struct Props {
    /// The analyzed query's plan; `None` while the query has errors.
    pub plan: Option<Rc<Plan>>,
    /// The catalog the data is generated for.
    pub catalog: Rc<Catalog>,
    /// Generator settings.
    pub settings: Settings,
    /// Bumped by the editor's run shortcut: restart and play.
    pub run: u32,
    /// Messages sampled from a topic, streamed instead of its generated orders, and
    /// tables' sampled rows, read instead of their generated rows.
    #[prop_or_default]
    pub samples: Samples,
    /// Back to generated orders.
    #[prop_or_default]
    pub on_generated: Callback<()>,
    /// Back to generated tables.
    #[prop_or_default]
    pub on_generated_tables: Callback<()>,
}

/// Play state shared with the animation-frame loop.
struct Shared {
    session: RefCell<Option<Session>>,
    control: RefCell<Control>,
    frame: RefCell<Option<AnimationFrame>>,
    redraw: RefCell<Option<Callback<()>>>,
    error: RefCell<Option<String>>,
    /// Redraw counters of the two halves: (destinations, graph and dashboard).
    versions: std::cell::Cell<(u64, u64)>,
}

/// The shared play state as a prop, equal when it is the same state.
#[derive(Clone)]
struct Handle(Rc<Shared>);

impl PartialEq for Handle {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

#[derive(Clone, Copy)]
struct Control {
    playing: bool,
    speed: Speed,
    /// The previous frame's timestamp (ms), `None` on the first frame of a play.
    last: Option<f64>,
    /// Wall-clock milliseconds spent playing.
    played_ms: f64,
    last_sample: f64,
    last_redraw: f64,
    /// Redraws so far (which half redraws next).
    redraws: u64,
}

fn now() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

fn clock() -> Box<dyn Fn() -> u64> {
    Box::new(|| (now() * 1e6) as u64)
}

impl Shared {
    /// Redraws everything.
    fn redraw(&self) {
        let (a, b) = self.versions.get();
        self.versions.set((a + 1, b + 1));
        self.emit_redraw();
    }

    /// Redraws the destinations (`true`) or the graph and dashboard (`false`), and
    /// the counters.
    fn redraw_half(&self, destinations: bool) {
        let (a, b) = self.versions.get();
        self.versions
            .set(if destinations { (a + 1, b) } else { (a, b + 1) });
        self.emit_redraw();
    }

    fn emit_redraw(&self) {
        if let Some(cb) = self.redraw.borrow().as_ref() {
            cb.emit(());
        }
    }

    /// The session for `props`, made anew when there is none or it ran another
    /// plan or other settings.
    fn ensure(&self, props: &Props) -> bool {
        let Some(plan) = props.plan.clone() else {
            return false;
        };
        let current = self.session.borrow().as_ref().is_some_and(|s| {
            Rc::ptr_eq(&s.plan, &plan) && s.settings == props.settings && s.samples == props.samples
        });
        if current {
            return true;
        }
        match Session::with_clock(
            plan,
            &props.catalog,
            props.settings,
            props.samples.clone(),
            Some(clock()),
        ) {
            Ok(s) => {
                *self.session.borrow_mut() = Some(s);
                *self.error.borrow_mut() = None;
                true
            }
            Err(e) => {
                *self.session.borrow_mut() = None;
                *self.error.borrow_mut() = Some(e);
                false
            }
        }
    }

    /// One animation frame: push what is due, sample, draw, and ask for the next.
    fn frame(self: &Rc<Self>, timestamp: f64) {
        let mut control = *self.control.borrow();
        if !control.playing {
            return;
        }
        let dt = control
            .last
            .map_or(0.0, |last| (timestamp - last).clamp(0.0, 100.0));
        control.last = Some(timestamp);
        control.played_ms += dt;
        let deadline = now() + FRAME_BUDGET_MS;
        let mut stop = false;
        mark("sluice:engine-start");
        if let Some(session) = self.session.borrow_mut().as_mut() {
            let result = match control.speed {
                Speed::Times(x) => {
                    let until = session
                        .sim_time
                        .saturating_add((dt * 1000.0 * f64::from(x)) as i64);
                    slices(|| session.advance(until, SLICE), deadline)
                }
                Speed::Max => slices(
                    || {
                        let mut n = 0;
                        while n < SLICE && session.step()? {
                            n += 1;
                        }
                        Ok(n)
                    },
                    deadline,
                ),
            };
            if let Err(e) = result {
                *self.error.borrow_mut() = Some(e);
                stop = true;
            }
            if control.played_ms - control.last_sample >= SAMPLE_MS || session.finished {
                session.sample(control.played_ms);
                control.last_sample = control.played_ms;
            }
            stop |= session.finished;
        } else {
            stop = true;
        }
        if stop {
            control.playing = false;
            control.last = None;
        }
        measure("sluice:engine", "sluice:engine-start");
        let redraw = stop || timestamp - control.last_redraw >= REDRAW_MS;
        let half = control.redraws.is_multiple_of(2);
        if redraw {
            control.last_redraw = timestamp;
            control.redraws += 1;
        }
        *self.control.borrow_mut() = control;
        if control.playing {
            let me = self.clone();
            *self.frame.borrow_mut() =
                Some(gloo_render::request_animation_frame(move |t| me.frame(t)));
        }
        if stop {
            self.redraw();
        } else if redraw {
            self.redraw_half(half);
        }
    }

    fn play(self: &Rc<Self>, props: &Props) {
        if !self.ensure(props) {
            self.redraw();
            return;
        }
        let stale = self.session.borrow().as_ref().is_some_and(|s| {
            s.finished
                || props.plan.as_ref().is_none_or(|p| !Rc::ptr_eq(&s.plan, p))
                || s.settings != props.settings
        });
        if stale {
            // Play after the end, or after a change, starts over.
            *self.session.borrow_mut() = None;
            if !self.ensure(props) {
                self.redraw();
                return;
            }
        }
        {
            let mut c = self.control.borrow_mut();
            c.playing = true;
            c.last = None;
        }
        let me = self.clone();
        *self.frame.borrow_mut() = Some(gloo_render::request_animation_frame(move |t| me.frame(t)));
        self.redraw();
    }

    fn pause(&self) {
        let mut c = self.control.borrow_mut();
        c.playing = false;
        c.last = None;
        *self.frame.borrow_mut() = None;
        drop(c);
        self.redraw();
    }

    fn step(&self, props: &Props) {
        self.pause();
        if self.ensure(props)
            && let Some(session) = self.session.borrow_mut().as_mut()
        {
            if let Err(e) = session.step() {
                *self.error.borrow_mut() = Some(e);
            }
            let played = self.control.borrow().played_ms;
            session.sample(played);
        }
        self.redraw();
    }

    fn reset(&self, props: &Props) {
        self.pause();
        *self.session.borrow_mut() = None;
        *self.error.borrow_mut() = None;
        let mut c = self.control.borrow_mut();
        c.played_ms = 0.0;
        c.last_sample = 0.0;
        drop(c);
        self.ensure(props);
        self.redraw();
    }
}

/// Runs `slice` until it pushes less than a full slice or the deadline passes.
fn slices(mut slice: impl FnMut() -> Result<usize, String>, deadline: f64) -> Result<(), String> {
    loop {
        let n = slice()?;
        if n < SLICE || now() >= deadline {
            return Ok(());
        }
    }
}

/// The simulation panel.
#[function_component(Simulator)]
pub fn simulator(props: &Props) -> Html {
    mark("sluice:render-start");
    // After the DOM is updated: how long the render took.
    use_effect(|| measure("sluice:render", "sluice:render-start"));
    let shared = use_memo((), |_| {
        Rc::new(Shared {
            session: RefCell::new(None),
            control: RefCell::new(Control {
                playing: false,
                speed: Speed::Times(100),
                last: None,
                played_ms: 0.0,
                last_sample: 0.0,
                last_redraw: f64::NEG_INFINITY,
                redraws: 0,
            }),
            frame: RefCell::new(None),
            redraw: RefCell::new(None),
            error: RefCell::new(None),
            versions: std::cell::Cell::new((0, 0)),
        })
    });
    let shared: Rc<Shared> = (*shared).clone();
    let redraw = use_force_update();
    *shared.redraw.borrow_mut() = Some(Callback::from(move |()| redraw.force_update()));
    let selection = use_state(|| None::<Selection>);
    let scroll_top = use_state(|| 0.0_f64);
    // Stable callbacks, so the halves' props change only with their versions.
    let on_scroll = {
        let scroll_top = scroll_top.clone();
        use_callback((), move |top: f64, _| scroll_top.set(top))
    };
    let props_now = Rc::new(Props {
        plan: props.plan.clone(),
        catalog: props.catalog.clone(),
        settings: props.settings,
        run: props.run,
        samples: props.samples.clone(),
        on_generated: props.on_generated.clone(),
        on_generated_tables: props.on_generated_tables.clone(),
    });
    {
        // The editor's run shortcut: start over and play.
        let shared = shared.clone();
        let props_now = props_now.clone();
        let selection = selection.clone();
        use_effect_with(props.run, move |run| {
            if *run > 0 {
                shared.reset(&props_now);
                selection.set(None);
                shared.play(&props_now);
            }
        });
    }
    {
        // Build the bounded side up front (and again when the query or settings
        // change before anything was pushed), so the graph shows before Play.
        let shared = shared.clone();
        let props_now = props_now.clone();
        let key = (
            props.plan.as_ref().map(|p| Rc::as_ptr(p) as usize),
            props.settings,
            props.catalog.clone(),
        );
        use_effect_with(key, move |_| {
            let fresh = shared
                .session
                .borrow()
                .as_ref()
                .is_none_or(|s| s.pushed() == 0 && !s.finished);
            if fresh && !shared.control.borrow().playing {
                shared.ensure(&props_now);
                shared.redraw();
            }
        });
    }
    let control = *shared.control.borrow();
    let on_play = {
        let shared = shared.clone();
        let props_now = props_now.clone();
        Callback::from(move |_: MouseEvent| {
            if shared.control.borrow().playing {
                shared.pause();
            } else {
                shared.play(&props_now);
            }
        })
    };
    let on_step = {
        let shared = shared.clone();
        let props_now = props_now.clone();
        Callback::from(move |_: MouseEvent| shared.step(&props_now))
    };
    let on_reset = {
        let shared = shared.clone();
        let selection = selection.clone();
        let props_now = props_now.clone();
        Callback::from(move |_: MouseEvent| {
            selection.set(None);
            shared.reset(&props_now);
        })
    };
    let on_speed = {
        let shared = shared.clone();
        Callback::from(move |e: Event| {
            if let Some(select) = e.target_dyn_into::<web_sys::HtmlSelectElement>()
                && let Some(speed) = Speed::parse(&select.value())
            {
                shared.control.borrow_mut().speed = speed;
                shared.redraw();
            }
        })
    };
    let on_select = {
        let selection = selection.clone();
        use_callback((), move |s: Option<Selection>, _| selection.set(s))
    };
    let session = shared.session.borrow();
    let stale = session.as_ref().is_some_and(|s| {
        props.plan.as_ref().is_none_or(|p| !Rc::ptr_eq(&s.plan, p))
            || s.settings != props.settings
            || s.samples != props.samples
    });
    let can_run = props.plan.is_some();
    html! {
        <div class="simulator">
            <div class="controls" role="toolbar" aria-label="Simulation">
                <button id="play" class="run" onclick={on_play} disabled={!can_run}
                    title="Play or pause the stream (Ctrl+Enter restarts from the editor)">
                    { if control.playing { "Pause" } else { "Play" } }
                </button>
                <button id="step" class="secondary" onclick={on_step} disabled={!can_run} title="Push one event">{ "Step" }</button>
                <button id="reset" class="secondary" onclick={on_reset} title="Back to the start">{ "Reset" }</button>
                <label class="speed" for="speed">{ "Speed" }
                    <select id="speed" onchange={on_speed}>
                        { for Speed::ALL.iter().map(|s| html! {
                            <option value={s.label()} selected={*s == control.speed}>{ s.label() }</option>
                        }) }
                    </select>
                </label>
                if !can_run {
                    <span class="hint">{ "Fix the query's errors to simulate it." }</span>
                } else if stale {
                    <span class="hint stale">{ "The query or the settings changed: Play or Reset starts over with them." }</span>
                }
            </div>
            { data_source(props, session.as_ref().filter(|_| !stale)) }
            if let Some(e) = shared.error.borrow().as_ref() {
                <p class="run-error" role="alert">{ e.clone() }</p>
            }
            { match session.as_ref() {
                None => html! { <p class="placeholder">{ "Press Play to stream generated orders through the query, or Step to push one event at a time." }</p> },
                Some(s) => html! {
                    <>
                        { counters(s, &control) }
                        <GraphPart handle={Handle(shared.clone())} version={shared.versions.get().1} playing={control.playing} />
                        <DestinationsPart handle={Handle(shared.clone())} version={shared.versions.get().0}
                            selection={*selection} scroll_top={*scroll_top} on_scroll={on_scroll.clone()} on_select={on_select.clone()} />
                        <DashboardPart handle={Handle(shared.clone())} version={shared.versions.get().1} />
                    </>
                },
            } }
        </div>
    }
}

/// Which data the run reads, when any of it was sampled: the stream, each
/// sampled table (and its rows that did not fit), and what is generated.
fn data_source(props: &Props, session: Option<&Session>) -> Html {
    let samples = &props.samples;
    if samples.stream.is_none() && samples.tables.is_empty() {
        return html! {};
    }
    let mut said = Vec::new();
    match (&samples.stream, session) {
        (Some(stream), Some(s)) if !s.sample_used => said.push(format!(
            "The query reads no {}, so its sample is not streamed: the orders are generated.",
            stream.topic
        )),
        (Some(stream), _) => said.push(format!("Streaming {}.", stream.label)),
        (None, _) => said.push("Streaming generated orders.".to_string()),
    }
    for table in &samples.tables {
        let read = session.map(|s| s.tables_read.iter().find(|(t, ..)| Rc::ptr_eq(t, table)));
        said.push(match read {
            Some(None) => format!(
                "The query reads no {}, so its sampled rows are not used.",
                table.table
            ),
            Some(Some((_, refused, why))) if *refused > 0 => format!(
                "Reading {}; {refused} of them do not fit the catalog's schema and are left out ({}).",
                table.label,
                why.as_deref().unwrap_or_default()
            ),
            _ => format!("Reading {}.", table.label),
        });
    }
    said.push(format!(
        "{} generated (seed {}). Sampled data stays in this page: it is not saved or put in links.",
        if samples.tables.is_empty() {
            "The tables are"
        } else {
            "Other tables are"
        },
        props.settings.batch.seed
    ));
    html! {
        <p class="hint data-source" id="data-source">
            { said.join(" ") }
            if samples.stream.is_some() {
                { " " }
                <button class="secondary small" id="use-generated" onclick={props.on_generated.reform(|_: MouseEvent| ())}>{ "Stream generated orders" }</button>
            }
            if !samples.tables.is_empty() {
                { " " }
                <button class="secondary small" id="use-generated-tables" onclick={props.on_generated_tables.reform(|_: MouseEvent| ())}>{ "Generate the tables" }</button>
            }
        </p>
    }
}

fn clock_text(micros: i64) -> String {
    sluice_engine::Value::Timestamp(micros).to_string()
}

fn counters(s: &Session, control: &Control) -> Html {
    let engine = s.engine();
    let (emitted, dropped, pending) = engine.accounting();
    let rate = charts::events_per_second(s.history());
    let state = if s.finished {
        "ended"
    } else if control.playing {
        "playing"
    } else {
        "paused"
    };
    html! {
        <div id="summary" class="summary counters">
            <span class={classes!("state", state)}>{ state }</span>
            <span><b>{ s.pushed() }</b>{ " events" }</span>
            <span><b>{ emitted }</b>{ " emitted" }</span>
            <span><b>{ dropped }</b>{ " dropped" }</span>
            <span><b>{ pending }</b>{ " pending" }</span>
            <span><b id="row-count">{ engine.outputs_total() }</b>{ " rows" }</span>
            <span><b>{ format!("{rate:.0}") }</b>{ " events/s" }</span>
            if s.samples.stream.is_some() {
                <span id="dead-lettered" title={s.dead_letter_reasons.join("\n")}><b>{ s.dead_lettered }</b>{ " dead-lettered" }</span>
            }
            <span class="sim-clock" title="Simulated time">{ clock_text(s.sim_time) }</span>
        </div>
    }
}

/// Props of a part of the panel that redraws when its version changes.
#[derive(Properties, PartialEq)]
struct PartProps {
    handle: Handle,
    version: u64,
    #[prop_or_default]
    playing: bool,
}

#[function_component(GraphPart)]
fn graph_part(p: &PartProps) -> Html {
    match p.handle.0.session.borrow().as_ref() {
        Some(s) => graph::pipeline(s.engine(), p.playing),
        None => html! {},
    }
}

#[function_component(DashboardPart)]
fn dashboard_part(p: &PartProps) -> Html {
    match p.handle.0.session.borrow().as_ref() {
        Some(s) => charts::dashboard(s),
        None => html! {},
    }
}

#[derive(Properties, PartialEq)]
struct DestinationsProps {
    handle: Handle,
    version: u64,
    selection: Option<Selection>,
    scroll_top: f64,
    on_scroll: Callback<f64>,
    on_select: Callback<Option<Selection>>,
}

#[function_component(DestinationsPart)]
fn destinations_part(p: &DestinationsProps) -> Html {
    match p.handle.0.session.borrow().as_ref() {
        Some(s) => outputs::destinations(s, p.selection, p.scroll_top, &p.on_scroll, &p.on_select),
        None => html! {},
    }
}
