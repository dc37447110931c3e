//! The egui editor: current genre, "now" and "track so far" bars, the
//! timeline, the target check, status, level and controls.
//!
//! It only reads: snapshots from the worker (through a triple buffer), the
//! peak level and drop counter from [`Shared`], and the parameters. Reset
//! reaches the worker through an atomic flag; Freeze only holds the display.
//! Colours and names come from the model card's labels, so a model with
//! other labels still renders.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use egui::{Align, Color32, Layout, RichText, Ui, Vec2};
use nice_plug::context::gui::GuiContext;
use nice_plug::prelude::Param;
use nice_plug::prelude::ResizeHint;
use nice_plug_egui::resizable_window::ResizableWindow;
use nice_plug_egui::widgets::ParamSlider;
use nice_plug_egui::{EguiEditor, EguiEditorState, EguiNiceSettings, NiceEguiApp};

use crate::params::GenreMeterParams;
use crate::shared::Shared;
use crate::worker::{Snapshot, Status};

mod bars;
mod timeline;

/// Initial editor width in logical pixels.
pub const DEFAULT_WIDTH: f32 = 780.0;
/// Initial editor height in logical pixels.
pub const DEFAULT_HEIGHT: f32 = 640.0;
/// Smallest size at which everything still fits.
const MIN_SIZE: Vec2 = Vec2::new(560.0, 480.0);
/// Level meter range.
const METER_FLOOR_DB: f32 = -60.0;
/// How fast the level display falls, in dB per second.
const METER_FALL_DB_PER_S: f32 = 20.0;
/// Editor background, also the "zero" end of colour intensities.
const BACKGROUND: Color32 = Color32::from_rgb(24, 26, 30);
/// Text that must stand out from the background.
const TEXT_STRONG: Color32 = Color32::from_rgb(235, 235, 235);
/// Secondary text.
const TEXT_WEAK: Color32 = Color32::from_rgb(160, 164, 172);
/// Errors and takeovers.
const WARNING: Color32 = Color32::from_rgb(240, 110, 90);

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
            frozen: false,
            gui: None,
            level_db: METER_FLOOR_DB,
            level_updated: None,
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

    fn header(&self, ui: &mut Ui) {
        let snapshot = &self.shown;
        let top = genre_core::smoother::top_label(&snapshot.now);
        ui.horizontal(|ui| {
            match top {
                Some((idx, p)) => {
                    ui.label(
                        RichText::new(snapshot.labels[idx].to_uppercase())
                            .size(44.0)
                            .strong()
                            .color(label_color(idx, snapshot.labels.len())),
                    );
                    ui.label(
                        RichText::new(format!("{:.0} %", p * 100.0))
                            .size(28.0)
                            .color(TEXT_STRONG),
                    );
                }
                None => {
                    ui.label(RichText::new("no estimate yet").size(30.0).color(TEXT_WEAK));
                }
            }
            ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                self.level_meter(ui);
            });
        });
        self.status_line(ui);
    }

    fn level_meter(&self, ui: &mut Ui) {
        let (rect, _) = ui.allocate_exact_size(Vec2::new(150.0, 14.0), egui::Sense::hover());
        let painter = ui.painter_at(rect);
        painter.rect_filled(rect, 2.0, Color32::from_rgb(45, 48, 54));
        let fraction = ((self.level_db - METER_FLOOR_DB) / -METER_FLOOR_DB).clamp(0.0, 1.0);
        let mut filled = rect;
        filled.set_width(rect.width() * fraction);
        let color = if self.level_db > -3.0 {
            WARNING
        } else {
            Color32::from_rgb(90, 200, 120)
        };
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

    fn status_line(&self, ui: &mut Ui) {
        let snapshot = &self.shown;
        ui.horizontal_wrapped(|ui| {
            let (text, color) = match &snapshot.status {
                Status::Inactive => (
                    "inactive: the host is not running audio".to_owned(),
                    TEXT_WEAK,
                ),
                Status::LoadingModel => ("loading the model...".to_owned(), TEXT_WEAK),
                Status::WarmingUp(s) => (
                    format!("warming up: {:.0} s until the first estimate", s.ceil()),
                    TEXT_STRONG,
                ),
                Status::Listening => ("listening".to_owned(), Color32::from_rgb(90, 200, 120)),
                Status::Silent => (
                    "silent (below the gate): not classifying".to_owned(),
                    TEXT_WEAK,
                ),
                Status::ModelError(message) => (format!("model error: {message}"), WARNING),
                Status::InputError(message) => (format!("input error: {message}"), WARNING),
            };
            ui.label(RichText::new(text).color(color));
            if snapshot.host_rate_hz > 0.0 && snapshot.model_rate_hz > 0 {
                ui.label(
                    RichText::new(format!(
                        "| {} resampled to {}",
                        format_rate(snapshot.host_rate_hz),
                        format_rate(snapshot.model_rate_hz as f32)
                    ))
                    .color(TEXT_WEAK),
                );
            }
            let num_dropped = self.shared.num_dropped_samples();
            if num_dropped > 0 && snapshot.host_rate_hz > 0.0 {
                ui.label(
                    RichText::new(format!(
                        "| dropped input: {:.1} s",
                        num_dropped as f32 / snapshot.host_rate_hz
                    ))
                    .color(WARNING),
                );
            }
            if self.frozen {
                ui.label(RichText::new("| FROZEN").strong().color(WARNING));
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
            let color = label_color(target_idx, snapshot.labels.len());
            ui.label(
                RichText::new(format!("Target {name}:"))
                    .strong()
                    .color(color),
            );
            let now = snapshot.now.get(target_idx).copied().unwrap_or(0.0);
            let track = snapshot.track.get(target_idx).copied().unwrap_or(0.0);
            ui.label(
                RichText::new(format!(
                    "now {:.0} %, track so far {:.0} %",
                    now * 100.0,
                    track * 100.0
                ))
                .color(TEXT_STRONG),
            );
            match genre_core::smoother::top_label(&snapshot.now) {
                Some((top, p)) if top != target_idx => {
                    ui.label(
                        RichText::new(format!(
                            "| {} has taken over ({:.0} %)",
                            snapshot.labels[top],
                            p * 100.0
                        ))
                        .strong()
                        .color(WARNING),
                    );
                }
                Some(_) => {
                    ui.label(RichText::new("| on target").color(Color32::from_rgb(90, 200, 120)));
                }
                None => {}
            }
        });
    }

    fn controls(&mut self, ui: &mut Ui) {
        let Some(gui) = self.gui.as_ref() else { return };
        let setter = gui.param_setter();
        let params = &self.params;
        ui.horizontal_wrapped(|ui| {
            if ui
                .button(RichText::new("Reset").size(16.0))
                .on_hover_text("Clear the track so far and the timeline")
                .clicked()
            {
                self.shared.reset_requested.store(true, Ordering::Release);
            }
            let freeze_text = if self.frozen { "Unfreeze" } else { "Freeze" };
            if ui
                .button(RichText::new(freeze_text).size(16.0))
                .on_hover_text("Hold the display")
                .clicked()
            {
                self.frozen = !self.frozen;
            }
            ui.separator();
            ui.label("Target");
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
        });
        ui.horizontal_wrapped(|ui| {
            ui.label(params.channel.name());
            ui.add(ParamSlider::for_param(&params.channel, &setter).with_width(90.0));
            ui.label(params.response.name());
            ui.add(ParamSlider::for_param(&params.response, &setter).with_width(110.0));
            ui.label(params.gate_db.name());
            ui.add(ParamSlider::for_param(&params.gate_db, &setter).with_width(110.0));
        });
    }
}

impl GenreMeterEditor {
    /// Everything inside the window margin.
    fn contents(&mut self, ui: &mut Ui) {
        self.header(ui);
        ui.separator();
        let snapshot = &self.shown;
        let target_idx = self.params.target_idx(snapshot.labels.len());
        ui.columns(2, |columns| {
            columns[0].label(RichText::new("Now").strong().color(TEXT_STRONG));
            bars::draw(&mut columns[0], &snapshot.labels, &snapshot.now, target_idx);
            columns[1].label(
                RichText::new(format!(
                    "Track so far ({})",
                    format_duration(snapshot.track_num_windows as f32 * snapshot.hop_s)
                ))
                .strong()
                .color(TEXT_STRONG),
            );
            bars::draw(
                &mut columns[1],
                &snapshot.labels,
                &snapshot.track,
                target_idx,
            );
        });
        ui.separator();
        ui.label(RichText::new("Timeline").strong().color(TEXT_STRONG));
        timeline::draw(ui, snapshot, target_idx);
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
        visuals.panel_fill = BACKGROUND;
        visuals.window_fill = BACKGROUND;
        egui_ctx.set_visuals(visuals);
        egui_ctx.all_styles_mut(|style| {
            for font in style.text_styles.values_mut() {
                font.size *= 1.15;
            }
        });
        self.gui = Some(gui);
        Ok(())
    }

    fn ui(&mut self, ui: &mut Ui, _frame: &mut nice_plug_egui::Frame) {
        if !self.frozen && self.snapshots.updated() {
            self.shown.clone_from(self.snapshots.read());
        }
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

/// A distinct colour per label, spread around the hue circle.
pub fn label_color(idx: usize, num_labels: usize) -> Color32 {
    let hue = idx as f32 / num_labels.max(1) as f32;
    egui::ecolor::Hsva::new(hue, 0.65, 0.95, 1.0).into()
}

/// `background` blended towards `color` by `amount` (0–1).
pub fn blend(background: Color32, color: Color32, amount: f32) -> Color32 {
    let t = amount.clamp(0.0, 1.0);
    let mix = |a: u8, b: u8| (f32::from(a) + (f32::from(b) - f32::from(a)) * t).round() as u8;
    Color32::from_rgb(
        mix(background.r(), color.r()),
        mix(background.g(), color.g()),
        mix(background.b(), color.b()),
    )
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
