//! Marks and measures in the page's performance timeline, which the playground
//! benchmark reads (`cargo xtask bench`): `sluice:engine` and `sluice:render` while
//! simulating; `sluice:analyze`, `sluice:app`, `sluice:lint` and `sluice:keep` for
//! each change to the query, so the benchmark can say where a keystroke's time goes.

use std::cell::RefCell;

use wasm_bindgen::JsCast;

/// Ends the measure `name` begun by [`mark`]`(start_mark)`. Measures are kept to the
/// last 500 of each name, so a long session does not grow the timeline.
pub fn measure(name: &'static str, start_mark: &str) {
    thread_local! {
        /// Measures taken by name since they were last cleared.
        static TAKEN: RefCell<Vec<(&'static str, u32)>> = const { RefCell::new(Vec::new()) };
    }
    let Some(p) = web_sys::window().and_then(|w| w.performance()) else {
        return;
    };
    let full = TAKEN.with_borrow_mut(|taken| {
        let i = taken
            .iter()
            .position(|(n, _)| *n == name)
            .unwrap_or_else(|| {
                taken.push((name, 0));
                taken.len() - 1
            });
        taken[i].1 += 1;
        let full = taken[i].1 > 500;
        if full {
            taken[i].1 = 1;
        }
        full
    });
    if full {
        p.clear_measures_with_measure_name(name);
    }
    let _ = p.measure_with_start_mark(name, start_mark);
}

/// Sets the mark `name` (replacing an earlier one of that name).
pub fn mark(name: &str) {
    if let Some(p) = web_sys::window().and_then(|w| w.performance()) {
        p.clear_marks_with_mark_name(name);
        let _ = p.mark(name);
    }
}

/// Runs `f` once the browser has nothing more urgent to do: after pending input and
/// the next paint. `scheduler.postTask` at background priority where the browser
/// has it (Chromium, Firefox), a timer elsewhere.
pub fn after_paint(f: impl FnOnce() + 'static) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let callback = wasm_bindgen::closure::Closure::once_into_js(f);
    let post_task = js_sys::Reflect::get(&window, &"scheduler".into())
        .ok()
        .filter(|s| s.is_object())
        .and_then(|s| {
            let post = js_sys::Reflect::get(&s, &"postTask".into()).ok()?;
            Some((s, post.dyn_into::<js_sys::Function>().ok()?))
        });
    if let Some((scheduler, post)) = post_task {
        let options = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&options, &"priority".into(), &"background".into());
        if post.call2(&scheduler, &callback, &options).is_ok() {
            return;
        }
    }
    let _ = window.set_timeout_with_callback(callback.unchecked_ref());
}
