//! The egui editor: the headline (what is playing, how sure, and which
//! estimate says so), "now" and "track so far" bars, the timeline, the
//! target check, status, level and controls.
//!
//! It only reads: snapshots from the worker (through a triple buffer), the
//! peak level and drop counter from [`Shared`], and the parameters. Reset
//! reaches the worker through an atomic flag; Freeze only holds the display.
//! What it says is decided in [`view`] (tested without a window); colours
//! come from [`palette`], in the order of the card's labels, so a model
//! with other labels still renders.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use egui::{Align, Color32, Layout, RichText, Sense, Stroke, Ui, Vec2, pos2};
use nice_plug::context::gui::{GuiContext, ParamSetter};
use nice_plug::prelude::{Enum, EnumParam, ResizeHint};
use nice_plug_egui::resizable_window::ResizableWindow;
use nice_plug_egui::widgets::ParamSlider;
use nice_plug_egui::{EguiEditor, EguiEditorState, EguiNiceSettings, NiceEguiApp};

use crate::params::{ChannelMode, GenreMeterParams, Response};
use crate::shared::Shared;
use crate::worker::{Activity, Snapshot};
use palette::{GOOD, NEUTRAL, PANEL, TEXT_STRONG, TEXT_WEAK, WARNING};
use view::{Message, Source};

mod bars;
pub mod palette;
mod timeline;
pub mod view;

/// Initial editor width in logical pixels.
pub const DEFAULT_WIDTH: f32 = 800.0;
/// Initial editor height in logical pixels.
pub const DEFAULT_HEIGHT: f32 = 780.0;
/// Smallest size at which everything still fits.
const MIN_SIZE: Vec2 = Vec2::new(600.0, 750.0);
/// Level meter range.
const METER_FLOOR_DB: f32 = -60.0;
/// How fast the level display falls, in dB per second.
const METER_FALL_DB_PER_S: f32 = 20.0;
/// Height kept below the timeline for the target line and the controls.
const BELOW_TIMELINE_HEIGHT: f32 = 150.0;
/// Height of the headline's caption and status rows.
const CAPTION_ROW_HEIGHT: f32 = 22.0;
/// Height of the headline's title row.
const TITLE_ROW_HEIGHT: f32 = 58.0;
/// Height of a row of controls.
const CONTROL_ROW_HEIGHT: f32 = 32.0;
/// Size of a confident genre's name in the headline.
const TITLE_SIZE: f32 = 46.0;
/// Size of the headline when it names no single genre.
const QUIET_TITLE_SIZE: f32 = 34.0;

/// Builds the editor.
pub fn create(
    editor_state: Arc<EguiEditorState>,
    repaint: nice_plug_egui::RepaintNotifier,
    app: GenreMeterEditor,
) -> Option<EguiEditor<GenreMeterEditor>> {
    let resize_hint = ResizeHint::resizable().with_min_logical_size(
        nice_plug::editor::dpi::LogicalSize::new(MIN_SIZE.x, MIN_SIZE.y),
    );
    nice_plug_egui::create_egui_editor(
        editor_state,
        repaint,
        EguiNiceSettings::new()
            .with_tile("Genre Meter")
            .with_resize_hint(resize_hint),
        app,
    )
}

/// The editor's state; lives as long as the plugin, across window openings.
pub struct GenreMeterEditor {
    /// Parameters (read every frame, set through the GUI context).
    params: Arc<GenreMeterParams>,
    /// Peak level, drop counter, reset flag.
    shared: Arc<Shared>,
    /// Reading side of the worker's snapshots.
    snapshots: triple_buffer::Output<Snapshot>,
    /// What is on screen: the latest snapshot, or the held one while frozen.
    shown: Snapshot,
    /// One colour per label of `shown`, recomputed when the labels change.
    colors: Vec<Color32>,
    /// Whether Freeze is on.
    frozen: bool,
    /// Set in `build()` each time the window opens.
    gui: Option<GuiContext>,
    /// Displayed input level (peak with a falling release).
    level_db: f32,
    /// When the level was last updated, for the release.
    level_updated: Option<Instant>,
}

impl GenreMeterEditor {
    /// An editor reading `snapshots`.
    pub fn new(
        params: Arc<GenreMeterParams>,
        shared: Arc<Shared>,
        snapshots: triple_buffer::Output<Snapshot>,
    ) -> Self {
        Self {
            params,
            shared,
            snapshots,
            shown: Snapshot::default(),
            colors: Vec::new(),
            frozen: false,
            gui: None,
            level_db: METER_FLOOR_DB,
            level_updated: None,
        }
    }

    /// Takes the latest snapshot (unless frozen) and keeps the colours in step.
    fn update_snapshot(&mut self) {
        if self.frozen || !self.snapshots.updated() {
            return;
        }
        self.shown.clone_from(self.snapshots.read());
        if self.colors.len() != self.shown.labels.len() {
            self.colors =
                palette::label_colors(self.shown.labels.len(), self.shown.decider.as_ref());
        }
    }

    /// Takes the peak the tap collected since the last frame and applies the release.
    fn update_level(&mut self) {
        let now = Instant::now();
        let dt_s = self
            .level_updated
            .map_or(0.0, |t| now.duration_since(t).as_secs_f32());
        self.level_updated = Some(now);
        let peak = self.shared.take_peak_level();
        let peak_db = if peak > 0.0 {
            (20.0 * peak.log10()).max(METER_FLOOR_DB)
        } else {
            METER_FLOOR_DB
        };
        self.level_db = peak_db.max(self.level_db - METER_FALL_DB_PER_S * dt_s);
    }

    fn color(&self, idx: usize) -> Color32 {
        self.colors
            .get(idx)
            .copied()
            .unwrap_or_else(|| palette::label_color(idx, self.shown.labels.len()))
    }

    /// What is playing, how sure, and which estimate says so.
    fn header(&self, ui: &mut Ui) {
        let snapshot = &self.shown;
        let headline = view::headline(snapshot, self.params.bypass.value());
        let labels = &snapshot.labels;
        let color = match headline.message {
            Message::Genre { idx, .. } => self.color(idx),
            Message::Uncertain { first, .. } => palette::muted(self.color(first.0)),
            _ => headline.color(labels.len()),
        };
        // Three rows of fixed height, so the panels below do not move as
        // the headline changes.
        ui.horizontal(|ui| {
            ui.set_min_height(CAPTION_ROW_HEIGHT);
            let (tag, tag_color) = match headline.source {
                Some(Source::Now) => ("NOW", TEXT_STRONG),
                Some(Source::TrackSoFar) => ("TRACK SO FAR", TEXT_STRONG),
                Some(Source::Saved) => ("SAVED", WARNING),
                None => ("STATUS", TEXT_WEAK),
            };
            egui::Frame::new()
                .stroke(Stroke::new(1.0, tag_color))
                .corner_radius(3.0)
                .inner_margin(egui::Margin::symmetric(6, 1))
                .show(ui, |ui| {
                    ui.label(RichText::new(tag).size(13.0).strong().color(tag_color));
                });
            ui.label(RichText::new(&headline.caption).color(TEXT_WEAK));
        });
        ui.horizontal(|ui| {
            ui.set_min_height(TITLE_ROW_HEIGHT);
            let size = if matches!(headline.message, Message::Genre { .. }) {
                TITLE_SIZE
            } else {
                QUIET_TITLE_SIZE
            };
            ui.label(
                RichText::new(headline.title(labels))
                    .size(size)
                    .strong()
                    .color(color),
            );
            let detail = headline.detail(labels);
            if !detail.is_empty() {
                let detail_color = match headline.message {
                    Message::Genre { .. } => TEXT_STRONG,
                    _ => TEXT_WEAK,
                };
                ui.label(RichText::new(detail).size(26.0).color(detail_color));
            }
            ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                self.level_meter(ui);
            });
        });
        ui.horizontal(|ui| {
            ui.set_min_height(CAPTION_ROW_HEIGHT);
            if let Some(confidence) = headline.confidence() {
                let threshold = snapshot
                    .decider
                    .as_ref()
                    .map_or(0.5, |d| d.uncertain_threshold());
                let fill = match headline.message {
                    Message::NotMusic { .. } => NEUTRAL,
                    _ => color,
                };
                confidence_meter(ui, confidence, threshold, fill);
                let words = match headline.message {
                    Message::Genre { .. } => "confident".to_owned(),
                    Message::Uncertain { .. } => {
                        format!("a guess: below the {} threshold", view::percent(threshold))
                    }
                    _ => "confidence".to_owned(),
                };
                ui.label(RichText::new(words).color(TEXT_WEAK));
                ui.separator();
            }
            // A status headline already says what the analysis is doing.
            self.status_line(ui, headline.source.is_some());
        });
    }

    fn level_meter(&self, ui: &mut Ui) {
        let (rect, _) = ui.allocate_exact_size(Vec2::new(140.0, 14.0), Sense::hover());
        let painter = ui.painter_at(rect);
        painter.rect_filled(rect, 2.0, PANEL);
        let fraction = ((self.level_db - METER_FLOOR_DB) / -METER_FLOOR_DB).clamp(0.0, 1.0);
        let mut filled = rect;
        filled.set_width(rect.width() * fraction);
        let color = if self.level_db > -3.0 { WARNING } else { GOOD };
        painter.rect_filled(filled, 2.0, color);
        ui.label(
            RichText::new(if self.level_db <= METER_FLOOR_DB {
                "input  -inf dB".to_owned()
            } else {
                format!("input {:>5.1} dB", self.level_db)
            })
            .monospace()
            .color(TEXT_WEAK),
        );
    }

    fn status_line(&self, ui: &mut Ui, show_activity: bool) {
        let snapshot = &self.shown;
        let (activity, activity_color) = match &snapshot.activity {
            Activity::Inactive => ("inactive".to_owned(), TEXT_WEAK),
            Activity::LoadingModel => ("loading the model".to_owned(), TEXT_WEAK),
            Activity::WarmingUp(s) => (format!("warming up: {:.0} s", s.ceil()), TEXT_WEAK),
            Activity::Listening => ("listening".to_owned(), GOOD),
            Activity::Silent => ("silent: below the gate".to_owned(), TEXT_WEAK),
            Activity::Paused if self.params.bypass.value() => ("bypassed".to_owned(), TEXT_WEAK),
            Activity::Paused => ("stopped".to_owned(), TEXT_WEAK),
            Activity::ModelError(_) => ("model error".to_owned(), WARNING),
            Activity::InputError(_) => ("input error".to_owned(), WARNING),
        };
        let mut parts: Vec<(String, Color32)> = Vec::new();
        if show_activity || activity_color == WARNING {
            parts.push((activity, activity_color));
        }
        if let Some(position_s) = snapshot.position_s {
            parts.push((
                format!("song at {}", format_duration(position_s as f32)),
                TEXT_WEAK,
            ));
        }
        if snapshot.host_rate_hz > 0.0 && snapshot.model_rate_hz > 0 {
            parts.push((
                format!(
                    "{} resampled to {}",
                    format_rate(snapshot.host_rate_hz),
                    format_rate(snapshot.model_rate_hz as f32)
                ),
                TEXT_WEAK,
            ));
        }
        let num_dropped = self.shared.num_dropped_samples();
        if num_dropped > 0 && snapshot.host_rate_hz > 0.0 {
            parts.push((
                format!(
                    "dropped input: {:.1} s",
                    num_dropped as f32 / snapshot.host_rate_hz
                ),
                WARNING,
            ));
        }
        if self.frozen {
            parts.push(("FROZEN".to_owned(), WARNING));
        }
        ui.horizontal_wrapped(|ui| {
            for (k, (text, color)) in parts.into_iter().enumerate() {
                if k > 0 {
                    ui.label(RichText::new("·").color(TEXT_WEAK));
                }
                ui.label(RichText::new(text).color(color));
            }
        });
    }

    fn target_view(&self, ui: &mut Ui) {
        let snapshot = &self.shown;
        let Some(target_idx) = self.params.target_idx(snapshot.labels.len()) else {
            ui.label(
                RichText::new(
                    "Target: none (choose one to check how strongly the track reads as it)",
                )
                .color(TEXT_WEAK),
            );
            return;
        };
        let name = &snapshot.labels[target_idx];
        ui.horizontal_wrapped(|ui| {
            ui.label(
                RichText::new(format!("Target {name}:"))
                    .strong()
                    .color(self.color(target_idx)),
            );
            let now = snapshot.now.get(target_idx).copied().unwrap_or(0.0);
            let track = snapshot.track.get(target_idx).copied().unwrap_or(0.0);
            ui.label(
                RichText::new(format!(
                    "now {}, track so far {}",
                    view::percent(now),
                    view::percent(track)
                ))
                .color(TEXT_STRONG),
            );
            let top = snapshot
                .now_verdict
                .filter(|v| v.status.has_genre())
                .and_then(|v| v.top_genre);
            match top {
                Some((top, p)) if top != target_idx => {
                    ui.label(
                        RichText::new(format!(
                            "| {} has taken over ({})",
                            snapshot.labels[top],
                            view::percent(p)
                        ))
                        .strong()
                        .color(WARNING),
                    );
                }
                Some(_) => {
                    ui.label(RichText::new("| on target").color(GOOD));
                }
                None => {}
            }
        });
    }

    fn controls(&mut self, ui: &mut Ui) {
        let Some(gui) = self.gui.as_ref() else { return };
        let setter = gui.param_setter();
        let params = &self.params;
        ui.spacing_mut().item_spacing.y = 8.0;
        ui.horizontal_wrapped(|ui| {
            ui.set_min_height(CONTROL_ROW_HEIGHT);
            control_label(ui, "Channel");
            segmented(ui, &params.channel, &setter, |mode| match mode {
                ChannelMode::Sum => "Left+Right averaged (as the CLI hears a file)",
                ChannelMode::Left => "The left channel only",
                ChannelMode::Right => "The right channel only",
                ChannelMode::Mid => "The centre of the stereo image",
                ChannelMode::Side => "What is not in the centre",
            });
            ui.add_space(16.0);
            control_label(ui, "Response");
            segmented(ui, &params.response, &setter, |response| match response {
                Response::Fast => "\"Now\" follows the last ~3 s",
                Response::Normal => "\"Now\" follows the last ~10 s",
                Response::Slow => "\"Now\" follows the last ~30 s",
            });
        });
        ui.horizontal_wrapped(|ui| {
            // Tall enough for the slider from the start, so the labels
            // before it are centred on it.
            ui.set_min_height(CONTROL_ROW_HEIGHT);
            control_label(ui, "Gate");
            ui.add(ParamSlider::for_param(&params.gate_db, &setter).with_width(130.0))
                .on_hover_text("Windows quieter than this are not classified");
            ui.add_space(16.0);
            control_label(ui, "Target");
            let labels = &self.shown.labels;
            let current = params.target.value();
            let current_text = params
                .target_idx(labels.len())
                .map_or("none", |i| labels[i].as_str());
            egui::ComboBox::from_id_salt("target")
                .selected_text(current_text)
                .show_ui(ui, |ui| {
                    for (value, text) in std::iter::once("none")
                        .chain(labels.iter().map(String::as_str))
                        .enumerate()
                    {
                        if ui.selectable_label(current == value as i32, text).clicked() {
                            setter.begin_set_parameter(&params.target);
                            setter.set_parameter(&params.target, value as i32);
                            setter.end_set_parameter(&params.target);
                        }
                    }
                });
            ui.add_space(16.0);
            if ui
                .button("Reset")
                .on_hover_text("Clear the track so far and the timeline")
                .clicked()
            {
                self.shared.reset_requested.store(true, Ordering::Release);
            }
            let freeze_text = if self.frozen { "Unfreeze" } else { "Freeze" };
            if ui
                .selectable_label(self.frozen, freeze_text)
                .on_hover_text("Hold the display")
                .clicked()
            {
                self.frozen = !self.frozen;
            }
            let bypassed = params.bypass.value();
            if ui
                .selectable_label(bypassed, "Bypass")
                .on_hover_text("Audio passes either way; bypassed, nothing is analysed")
                .clicked()
            {
                setter.begin_set_parameter(&params.bypass);
                setter.set_parameter(&params.bypass, !bypassed);
                setter.end_set_parameter(&params.bypass);
            }
        });
    }

    /// Everything inside the window margin.
    fn contents(&mut self, ui: &mut Ui) {
        self.header(ui);
        ui.separator();
        let snapshot = &self.shown;
        let target_idx = self.params.target_idx(snapshot.labels.len());
        let colors = &self.colors;
        ui.columns(2, |columns| {
            columns[0].label(
                RichText::new(format!("Now (last ~{:.0} s)", snapshot.response_s))
                    .strong()
                    .color(TEXT_STRONG),
            );
            bars::draw(
                &mut columns[0],
                &snapshot.labels,
                colors,
                &snapshot.now,
                target_idx,
            );
            let what = if snapshot.follows_song {
                "of the song"
            } else {
                "heard"
            };
            columns[1].label(
                RichText::new(format!(
                    "Track so far ({} {what})",
                    format_duration(snapshot.track_num_windows as f32 * snapshot.hop_s)
                ))
                .strong()
                .color(TEXT_STRONG),
            );
            bars::draw(
                &mut columns[1],
                &snapshot.labels,
                colors,
                &snapshot.track,
                target_idx,
            );
        });
        ui.separator();
        let height = (ui.available_height() - BELOW_TIMELINE_HEIGHT).max(timeline::MIN_HEIGHT);
        timeline::draw(ui, snapshot, colors, target_idx, height);
        ui.separator();
        self.target_view(ui);
        ui.separator();
        self.controls(ui);
    }
}

impl NiceEguiApp for GenreMeterEditor {
    fn build(
        &mut self,
        egui_ctx: egui::Context,
        gui: GuiContext,
        _frame: &mut nice_plug_egui::Frame,
    ) -> Result<(), nice_plug_egui::baseview::HandlerError> {
        let mut visuals = egui::Visuals::dark();
        visuals.panel_fill = palette::BACKGROUND;
        visuals.window_fill = palette::BACKGROUND;
        egui_ctx.set_visuals(visuals);
        egui_ctx.all_styles_mut(|style| {
            for font in style.text_styles.values_mut() {
                font.size *= 1.15;
            }
            style.spacing.button_padding = Vec2::new(8.0, 3.0);
        });
        self.gui = Some(gui);
        Ok(())
    }

    fn ui(&mut self, ui: &mut Ui, _frame: &mut nice_plug_egui::Frame) {
        self.update_snapshot();
        self.update_level();
        ResizableWindow::new("genre-meter")
            .min_size(MIN_SIZE)
            .show(ui, |ui| {
                egui::Frame::new()
                    .inner_margin(14.0)
                    .show(ui, |ui| self.contents(ui));
            });
    }

    fn editor_closed(&mut self) {
        self.gui = None;
    }
}

/// A control's name, as readable as the rest.
fn control_label(ui: &mut Ui, text: &str) {
    ui.label(RichText::new(text).color(TEXT_STRONG));
}

/// An enum parameter as a row of buttons, the chosen one lit.
fn segmented<T: Enum + PartialEq + Copy + 'static>(
    ui: &mut Ui,
    param: &EnumParam<T>,
    setter: &ParamSetter<'_>,
    hover: impl Fn(T) -> &'static str,
) {
    let current = param.value();
    ui.scope(|ui| {
        ui.spacing_mut().item_spacing.x = 2.0;
        for (idx, name) in T::variants().iter().enumerate() {
            let value = T::from_index(idx);
            if ui
                .selectable_label(value == current, *name)
                .on_hover_text(hover(value))
                .clicked()
                && value != current
            {
                setter.begin_set_parameter(param);
                setter.set_parameter(param, value);
                setter.end_set_parameter(param);
            }
        }
    });
}

/// How sure the headline is: a bar filled to `confidence` with a tick at
/// the card's "uncertain" threshold.
fn confidence_meter(ui: &mut Ui, confidence: f32, threshold: f32, fill: Color32) {
    let (rect, _) = ui.allocate_exact_size(Vec2::new(200.0, 12.0), Sense::hover());
    let painter = ui.painter_at(rect.expand(2.0));
    painter.rect_filled(rect, 2.0, PANEL);
    let mut filled = rect;
    filled.set_width(rect.width() * confidence.clamp(0.0, 1.0));
    painter.rect_filled(filled, 2.0, fill);
    let x = rect.left() + rect.width() * threshold.clamp(0.0, 1.0);
    painter.line_segment(
        [pos2(x, rect.top() - 2.0), pos2(x, rect.bottom() + 2.0)],
        Stroke::new(2.0, TEXT_STRONG),
    );
}

/// "48 kHz", "22.05 kHz".
fn format_rate(rate_hz: f32) -> String {
    let khz = rate_hz / 1000.0;
    if (khz - khz.round()).abs() < 1e-3 {
        format!("{khz:.0} kHz")
    } else {
        format!("{khz:.2} kHz")
    }
}

/// "0:42", "12:05", "1:02:03".
pub fn format_duration(seconds: f32) -> String {
    let total = seconds.max(0.0).round() as u64;
    let (h, m, s) = (total / 3600, total / 60 % 60, total % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}
