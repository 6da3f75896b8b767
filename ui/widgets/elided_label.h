#pragma once

#include <QLabel>

namespace ts::ui {

// A one-line label whose text is cut with "…" to the room it gets, the whole text in its
// tooltip: a long URL never makes its dock, or the window, wider (issue 17, defect 2).
class ElidedLabel final : public QLabel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ElidedLabel)

public:
    explicit ElidedLabel(QWidget *parent = nullptr);
    ~ElidedLabel() override;

    void setFullText(const QString &text);
    QString fullText() const { return m_fullText; }
    void setElideMode(Qt::TextElideMode mode);

    QSize minimumSizeHint() const override;
    QSize sizeHint() const override;

protected:
    void resizeEvent(QResizeEvent *event) override;

private:
    void updateShown();

    QString m_fullText;
    Qt::TextElideMode m_mode = Qt::ElideMiddle;
};

} // namespace ts::ui
