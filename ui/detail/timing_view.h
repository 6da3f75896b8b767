#pragma once

#include "core/flow/flow.h"

#include <QColor>
#include <QWidget>

#include <vector>

namespace ts::ui {

// An exchange's phases as a waterfall: name lookup, connect, TLS, request sent, waiting for the
// first byte, receiving, each a bar on one time axis with its duration.
class TimingView final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TimingView)

public:
    // What a phase is, in the order they happen; its colour in every waterfall.
    enum class PhaseKind : int { Lookup, Connect, Tls, RequestSent, Waiting, Receiving };
    struct Phase
    {
        QString name;
        std::int64_t start = 0; // microseconds since the flow started
        std::int64_t end = 0;
        PhaseKind kind = PhaseKind::Lookup;
    };

    explicit TimingView(QWidget *parent = nullptr);
    ~TimingView() override;

    void showFlow(const flow::Flow &flow);
    void clear();
    const std::vector<Phase> &phases() const { return m_phases; }
    // The phases a flow's timings describe; phases that did not happen are left out.
    static std::vector<Phase> phasesOf(const flow::Flow &flow);
    // A mid tone that stands out on light and dark bases alike.
    static QColor colourOf(PhaseKind kind);
    static QString formatMicros(std::int64_t micros);

    QSize sizeHint() const override;

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    std::vector<Phase> m_phases;
    QString m_note;
};

} // namespace ts::ui
