#pragma once

#include <QAbstractScrollArea>
#include <QByteArray>

namespace ts::ui {

// Bytes as offset | 16 bytes in hex | ASCII, painting only the lines in sight, so a body of
// many megabytes costs nothing until it is scrolled to.
class HexView final : public QAbstractScrollArea
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(HexView)

public:
    explicit HexView(QWidget *parent = nullptr);
    ~HexView() override;

    void setData(QByteArray data);
    const QByteArray &data() const { return m_data; }
    // The text of line `line` as painted (tests, copy).
    QString lineText(qsizetype line) const;
    qsizetype lineCount() const;

protected:
    void paintEvent(QPaintEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;
    void changeEvent(QEvent *event) override;

private:
    void updateScrollBars();

    QByteArray m_data;
};

} // namespace ts::ui
