<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN" sourcelanguage="en">
    <context>
        <name>BrowserLauncher</name>
        <message>
            <location filename="../ui/dialogs/browser_launcher.cpp" line="102" />
            <source>%1 did not finish</source>
            <translation>%1 未能及时结束</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/browser_launcher.cpp" line="106" />
            <source>%1 failed (exit code %2): %3</source>
            <translation>%1 失败（退出码 %2）：%3</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/browser_launcher.cpp" line="310" />
            <source>could not start %1: %2</source>
            <translation>无法启动 %1：%2</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/browser_launcher.cpp" line="322" />
            <source>Could not launch %1: %2</source>
            <translation>无法启动 %1：%2</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/browser_launcher.cpp" line="324" />
            <source>%1 started with the profile %2, through %3</source>
            <translation>%1 已使用配置文件 %2 启动，经由 %3</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/browser_launcher.cpp" line="358" />
            <source>%1 or certutil is not installed</source>
            <translation>未安装 %1 或 certutil</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/browser_launcher.cpp" line="364" />
            <source>cannot create a profile directory: %1</source>
            <translation>无法创建配置文件目录：%1</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/browser_launcher.cpp" line="372" />
            <source>cannot create %1/.pki/nssdb</source>
            <translation>无法创建 %1/.pki/nssdb</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/browser_launcher.cpp" line="378" />
            <location filename="../ui/dialogs/browser_launcher.cpp" line="381" />
            <source>cannot write %1</source>
            <translation>无法写入 %1</translation>
        </message>
    </context>
    <context>
        <name>Settings</name>
        <message>
            <location filename="../ui/dialogs/settings.cpp" line="20" />
            <source>A port is a whole number from 1 to 65535.</source>
            <translation>端口是 1 到 65535 之间的整数。</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings.cpp" line="27" />
            <source>Enter a whole number from %1 to %2.</source>
            <translation>请输入 %1 到 %2 之间的整数。</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings.cpp" line="37" />
            <source>'re:' needs a regular expression after it.</source>
            <translation>“re:”后面需要跟一个正则表达式。</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings.cpp" line="43" />
            <source>Not a valid regular expression: %1</source>
            <translation>不是有效的正则表达式：%1</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings.cpp" line="50" />
            <source>'%1' looks like a URL; write the host only, like *.example.com.</source>
            <translation>“%1”看起来像 URL；只需填写主机，例如 *.example.com。</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings.cpp" line="57" />
            <source>'%1' is not a host glob: use letters, digits, '-', '.', '*' and '?' (or re:REGEX).</source>
            <translation>“%1”不是主机通配符：请使用字母、数字、“-”、“.”、“*”和“?”（或 re:正则表达式）。</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings.cpp" line="69" />
            <source>Enter a proxy URL, like http://127.0.0.1:3128.</source>
            <translation>请输入代理 URL，例如 http://127.0.0.1:3128。</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings.cpp" line="83" />
            <source>'%1' is not a rule: write HOST GLOBS = CHAIN, like *.corp.example = http://proxy:3128 or 10.* = direct.</source>
            <translation>“%1”不是规则：请写成 主机通配符 = 代理链，例如 *.corp.example = http://proxy:3128 或 10.* = direct。</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings.cpp" line="158" />
            <source>Enter an address to listen on, like 127.0.0.1.</source>
            <translation>请输入监听地址，例如 127.0.0.1。</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings.cpp" line="161" />
            <source>'%1' is not an IP address (127.0.0.1, ::1, 0.0.0.0 ...).</source>
            <translation>“%1”不是 IP 地址（127.0.0.1、::1、0.0.0.0 ……）。</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings.cpp" line="167" />
            <source>The HTTP listener already uses port %1.</source>
            <translation>HTTP 监听器已在使用端口 %1。</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings.cpp" line="176" />
            <source>Line %1: %2</source>
            <translation>第 %1 行：%2</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings.cpp" line="184" />
            <source>One body cannot keep more than the memory budget (%1 KiB).</source>
            <translation>单个消息体不能超过内存预算（%1 KiB）。</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings.cpp" line="190" />
            <source>Choose system, light or dark.</source>
            <translation>选择跟随系统、浅色或深色。</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings.cpp" line="191" />
            <source>Hop %1: %2</source>
            <translation>第 %1 跳：%2</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings.cpp" line="195" />
            <source>A chain has at most %1 hops.</source>
            <translation>代理链最多 %1 跳。</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings.cpp" line="200" />
            <source>Rule %1: %2</source>
            <translation>规则 %1：%2</translation>
        </message>
    </context>
    <context>
        <name>SystemProxy</name>
        <message>
            <location filename="../ui/setup/system_proxy.cpp" line="86" />
            <source>%1 failed: %2</source>
            <translation>%1 失败：%2</translation>
        </message>
        <message>
            <location filename="../ui/setup/system_proxy.cpp" line="88" />
            <source>exit code %1</source>
            <translation>退出码 %1</translation>
        </message>
        <message>
            <location filename="../ui/setup/system_proxy.cpp" line="106" />
            <source>gsettings is not installed</source>
            <translation>未安装 gsettings</translation>
        </message>
        <message>
            <location filename="../ui/setup/system_proxy.cpp" line="122" />
            <source>gsettings cannot read %1: %2</source>
            <translation>gsettings 无法读取 %1：%2</translation>
        </message>
        <message>
            <location filename="../ui/setup/system_proxy.cpp" line="144" />
            <source>kwriteconfig5 and kreadconfig5 are not installed</source>
            <translation>未安装 kwriteconfig5 和 kreadconfig5</translation>
        </message>
        <message>
            <location filename="../ui/setup/system_proxy.cpp" line="160" />
            <source>%1 cannot read %2: %3</source>
            <translation>%1 无法读取 %2：%3</translation>
        </message>
        <message>
            <location filename="../ui/setup/system_proxy.cpp" line="237" />
            <source>cannot write %1 (%2), which puts the system proxy back after a crash</source>
            <translation>无法写入 %1（%2），该文件用于在崩溃后恢复系统代理</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::BodyContent</name>
        <message>
            <location filename="../ui/detail/body_content.cpp" line="90" />
            <source>this build has no content decoders</source>
            <translation>此版本不含内容解码器</translation>
        </message>
        <message>
            <location filename="../ui/detail/body_content.cpp" line="144" />
            <source>decoded from %1, %2 → %3</source>
            <translation>已从 %1 解码，%2 → %3</translation>
        </message>
        <message>
            <location filename="../ui/detail/body_content.cpp" line="152" />
            <source>first part only, %1 recorded</source>
            <translation>仅开头部分，已记录 %1</translation>
        </message>
        <message>
            <location filename="../ui/detail/body_content.cpp" line="156" />
            <source>not decoded: %1</source>
            <translation>未解码：%1</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::BodyView</name>
        <message>
            <location filename="../ui/detail/body_view.cpp" line="45" />
            <source>Text</source>
            <translation>文本</translation>
        </message>
        <message>
            <location filename="../ui/detail/body_view.cpp" line="47" />
            <source>Pretty JSON</source>
            <translation>格式化 JSON</translation>
        </message>
        <message>
            <location filename="../ui/detail/body_view.cpp" line="49" />
            <source>JSON tree</source>
            <translation>JSON 树</translation>
        </message>
        <message>
            <location filename="../ui/detail/body_view.cpp" line="51" />
            <source>Hex</source>
            <translation>十六进制</translation>
        </message>
        <message>
            <location filename="../ui/detail/body_view.cpp" line="53" />
            <source>Image</source>
            <translation>图像</translation>
        </message>
        <message>
            <location filename="../ui/detail/body_view.cpp" line="64" />
            <source>Preview</source>
            <translation>预览</translation>
        </message>
        <message numerus="yes">
            <location filename="../ui/detail/body_view.cpp" line="68" />
            <source>{%n key(s)}</source>
            <translation>
                <numerusform>{%n 个键}</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <location filename="../ui/detail/body_view.cpp" line="76" />
            <source>[%n item(s)]</source>
            <translation>
                <numerusform>[%n 项]</numerusform>
            </translation>
        </message>
        <message>
            <location filename="../ui/detail/body_view.cpp" line="102" />
            <source>Load all</source>
            <translation>全部加载</translation>
        </message>
        <message>
            <location filename="../ui/detail/body_view.cpp" line="130" />
            <source>Wrap</source>
            <translation>自动换行</translation>
        </message>
        <message>
            <location filename="../ui/detail/body_view.cpp" line="127" />
            <source>Key</source>
            <translation>键</translation>
        </message>
        <message>
            <location filename="../ui/detail/body_view.cpp" line="127" />
            <source>Value</source>
            <translation>值</translation>
        </message>
        <message>
            <location filename="../ui/detail/body_view.cpp" line="169" />
            <source>Wrap long lines at the pane's width</source>
            <translation>按窗格宽度自动换行长行</translation>
        </message>
        <message>
            <location filename="../ui/detail/body_view.cpp" line="186" />
            <source>Find in body</source>
            <translation>在消息体中查找</translation>
        </message>
        <message>
            <location filename="../ui/detail/body_view.cpp" line="193" />
            <source>Previous match (Shift+F3)</source>
            <translation>上一个匹配项（Shift+F3）</translation>
        </message>
        <message>
            <location filename="../ui/detail/body_view.cpp" line="196" />
            <source>Next match (F3, Enter)</source>
            <translation>下一个匹配项（F3、Enter）</translation>
        </message>
        <message>
            <location filename="../ui/detail/body_view.cpp" line="199" />
            <source>Close (Esc)</source>
            <translation>关闭（Esc）</translation>
        </message>
        <message>
            <location filename="../ui/detail/body_view.cpp" line="173" />
            <source>No body</source>
            <translation>无消息体</translation>
        </message>
        <message>
            <location filename="../ui/detail/body_view.cpp" line="199" />
            <source>Loading…</source>
            <translation>正在加载…</translation>
        </message>
        <message>
            <location filename="../ui/detail/body_view.cpp" line="259" />
            <source>Cannot show this image: %1</source>
            <translation>无法显示此图像：%1</translation>
        </message>
        <message>
            <location filename="../ui/detail/body_view.cpp" line="263" />
            <source>%1 image, %2×%3</source>
            <translation>%1 图像，%2×%3</translation>
        </message>
        <message>
            <location filename="../ui/detail/body_view.cpp" line="341" />
            <source>Not valid JSON: %1 at %2</source>
            <translation>不是有效的 JSON：%1，位置 %2</translation>
        </message>
        <message>
            <location filename="../ui/detail/body_view.cpp" line="346" />
            <source>array</source>
            <translation>数组</translation>
        </message>
        <message>
            <location filename="../ui/detail/body_view.cpp" line="346" />
            <source>object</source>
            <translation>对象</translation>
        </message>
        <message>
            <location filename="../ui/detail/body_view.cpp" line="350" />
            <source>… (only the first %1 items are shown)</source>
            <translation>…（仅显示前 %1 项）</translation>
        </message>
        <message>
            <location filename="../ui/detail/body_view.cpp" line="587" />
            <source>No match</source>
            <translation>无匹配项</translation>
        </message>
        <message>
            <location filename="../ui/detail/body_view.cpp" line="589" />
            <source>%1 of %2</source>
            <translation>第 %1 个，共 %2 个</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::CaDialog</name>
        <message>
            <location filename="../ui/dialogs/ca_dialog.cpp" line="49" />
            <source>Certificate authority</source>
            <translation>证书颁发机构</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/ca_dialog.cpp" line="54" />
            <source>Tunnelscope decrypts TLS with certificates it signs with this CA. A client must trust the CA's certificate, or it rejects them. The private key never leaves %1.</source>
            <translation>Tunnelscope 使用由此 CA 签发的证书解密 TLS。客户端必须信任该 CA 的证书，否则会拒绝这些证书。私钥永远不会离开 %1。</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/ca_dialog.cpp" line="62" />
            <source>Subject:</source>
            <translation>主体：</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/ca_dialog.cpp" line="63" />
            <source>Valid from:</source>
            <translation>生效时间：</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/ca_dialog.cpp" line="64" />
            <source>Valid until:</source>
            <translation>到期时间：</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/ca_dialog.cpp" line="65" />
            <source>Key:</source>
            <translation>密钥：</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/ca_dialog.cpp" line="70" />
            <source>SHA-256:</source>
            <translation>SHA-256：</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/ca_dialog.cpp" line="72" />
            <source>Export &amp;PEM…</source>
            <translation>导出 PEM(&amp;P)…</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/ca_dialog.cpp" line="74" />
            <source>For Firefox, Chromium, curl --cacert and update-ca-certificates</source>
            <translation>用于 Firefox、Chromium、curl --cacert 和 update-ca-certificates</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/ca_dialog.cpp" line="75" />
            <source>Export &amp;DER…</source>
            <translation>导出 DER(&amp;D)…</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/ca_dialog.cpp" line="77" />
            <source>For Android, Windows and Java key stores</source>
            <translation>用于 Android、Windows 和 Java 密钥库</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/ca_dialog.cpp" line="78" />
            <source>&amp;Launch Chromium through Tunnelscope</source>
            <translation>通过 Tunnelscope 启动 Chromium(&amp;L)</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/ca_dialog.cpp" line="80" />
            <source>A new Chromium profile that trusts this CA and uses the proxy; your own profile is not touched</source>
            <translation>一个信任此 CA 并使用该代理的全新 Chromium 配置文件；不会改动您自己的配置文件</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/ca_dialog.cpp" line="84" />
            <source>&amp;Open Folder</source>
            <translation>打开文件夹(&amp;O)</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/ca_dialog.cpp" line="86" />
            <source>The folder with ca.pem, in the file manager</source>
            <translation>在文件管理器中打开包含 ca.pem 的文件夹</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/ca_dialog.cpp" line="90" />
            <source>No file manager opened %1</source>
            <translation>没有文件管理器打开 %1</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/ca_dialog.cpp" line="82" />
            <source>Launch &amp;Firefox through Tunnelscope</source>
            <translation>通过 Tunnelscope 启动 Firefox(&amp;F)</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/ca_dialog.cpp" line="84" />
            <source>A new Firefox profile that trusts this CA and uses the proxy; your own profile is not touched</source>
            <translation>一个信任此 CA 并使用该代理的全新 Firefox 配置文件；不会改动您自己的配置文件</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/ca_dialog.cpp" line="145" />
            <source>Cannot write %1: %2</source>
            <translation>无法写入 %1：%2</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/ca_dialog.cpp" line="157" />
            <source>Export the CA certificate (PEM)</source>
            <translation>导出 CA 证书（PEM）</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/ca_dialog.cpp" line="157" />
            <source>Export the CA certificate (DER)</source>
            <translation>导出 CA 证书（DER）</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/ca_dialog.cpp" line="158" />
            <source>PEM certificate (*.pem *.crt)</source>
            <translation>PEM 证书 (*.pem *.crt)</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/ca_dialog.cpp" line="158" />
            <source>DER certificate (*.der *.cer)</source>
            <translation>DER 证书 (*.der *.cer)</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/ca_dialog.cpp" line="164" />
            <source>Wrote %1</source>
            <translation>已写入 %1</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::CarriedFlowsModel</name>
        <message>
            <location filename="../ui/panes/carried_flows_model.cpp" line="136" />
            <source>#</source>
            <translation>#</translation>
        </message>
        <message>
            <location filename="../ui/panes/carried_flows_model.cpp" line="138" />
            <source>Method</source>
            <translation>方法</translation>
        </message>
        <message>
            <location filename="../ui/panes/carried_flows_model.cpp" line="140" />
            <source>URL</source>
            <translation>URL</translation>
        </message>
        <message>
            <location filename="../ui/panes/carried_flows_model.cpp" line="142" />
            <source>Protocol</source>
            <translation>协议</translation>
        </message>
        <message>
            <location filename="../ui/panes/carried_flows_model.cpp" line="144" />
            <source>Status</source>
            <translation>状态</translation>
        </message>
        <message>
            <location filename="../ui/panes/carried_flows_model.cpp" line="146" />
            <source>Size</source>
            <translation>大小</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::ClientSetupDialog</name>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="55" />
            <source>Copy</source>
            <translation>复制</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="70" />
            <source>Set up a client</source>
            <translation>设置客户端</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="93" />
            <source>&amp;Terminal</source>
            <translation>终端(&amp;T)</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="94" />
            <source>S&amp;ystem proxy</source>
            <translation>系统代理(&amp;Y)</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="96" />
            <source>System &amp;CA store</source>
            <translation>系统 CA 存储(&amp;C)</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="97" />
            <source>&amp;Phone or other device</source>
            <translation>手机或其他设备(&amp;P)</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="99" />
            <source>&amp;Browser</source>
            <translation>浏览器(&amp;B)</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="156" />
            <source>Paste these lines into a shell: curl, wget, git, pip, npm, Python and Node then go through the proxy and trust its CA. The bundle is the system's roots plus the CA, so hosts that are passed through still verify.</source>
            <translation>将这些行粘贴到 shell 中：curl、wget、git、pip、npm、Python 和 Node 随后都会经过代理并信任其 CA。证书包包含系统根证书和该 CA，因此直通的主机仍能通过验证。</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="159" />
            <source>Paste these lines into a shell: curl, wget, git, pip, npm, Python and Node then go through the proxy.</source>
            <translation>将这些行粘贴到 shell 中：curl、wget、git、pip、npm、Python 和 Node 随后都会经过代理。</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="166" />
            <source>Open a &amp;new terminal with these set</source>
            <translation>打开已设置这些变量的新终端(&amp;N)</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="173" />
            <source>No terminal program was found (x-terminal-emulator, gnome-terminal, konsole, xterm…).</source>
            <translation>未找到终端程序（x-terminal-emulator、gnome-terminal、konsole、xterm…）。</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="188" />
            <source>No terminal could be started.</source>
            <translation>无法启动终端。</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="190" />
            <source>Started %1 with the proxy variables set.</source>
            <translation>已启动 %1 并设置了代理变量。</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="197" />
            <source>Applications that follow the desktop's proxy setting (GNOME and KDE applications, Chromium) then go through Tunnelscope. The previous setting comes back when you turn it off or quit Tunnelscope, and at the next start should Tunnelscope stop unexpectedly.</source>
            <translation>遵循桌面代理设置的应用程序（GNOME 和 KDE 应用程序、Chromium）随后都会经过 Tunnelscope。关闭此选项或退出 Tunnelscope 时会恢复之前的设置；如果 Tunnelscope 意外退出，则在下次启动时恢复。</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="205" />
            <source>Use Tunnelscope as the &amp;GNOME proxy (gsettings)</source>
            <translation>将 Tunnelscope 用作 GNOME 代理（gsettings）(&amp;G)</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="213" />
            <source>Use Tunnelscope as the &amp;KDE proxy (kioslaverc)</source>
            <translation>将 Tunnelscope 用作 KDE 代理（kioslaverc）(&amp;K)</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="221" />
            <source>Neither gsettings (GNOME) nor kwriteconfig5 (KDE) is installed, so there is no desktop proxy setting to change.</source>
            <translation>未安装 gsettings（GNOME）或 kwriteconfig5（KDE），因此没有可更改的桌面代理设置。</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="225" />
            <source>Clients that take an automatic proxy configuration (PAC) URL can use this one; --pac-rules chooses which hosts it sends through Tunnelscope:</source>
            <translation>支持自动代理配置（PAC）URL 的客户端可以使用此地址；--pac-rules 决定哪些主机经由 Tunnelscope：</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="246" />
            <source>The system proxy is now %1.</source>
            <translation>系统代理现在是 %1。</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="247" />
            <source>The system proxy setting is back as it was.</source>
            <translation>系统代理设置已恢复原样。</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="255" />
            <source>To make every program on this computer that uses the system's trust store (OpenSSL, GnuTLS, curl, wget, most command-line tools) trust the CA, run these in a terminal. They need root, and the whole system then trusts certificates Tunnelscope signs: do it only on a machine you debug with.</source>
            <translation>要让本机上所有使用系统信任存储的程序（OpenSSL、GnuTLS、curl、wget 及大多数命令行工具）信任该 CA，请在终端中运行以下命令。这需要 root 权限，之后整个系统都会信任 Tunnelscope 签发的证书：只应在用于调试的机器上这样做。</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="266" />
            <source>To remove it again:</source>
            <translation>再次移除：</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="272" />
            <source>Browsers keep their own store: Chromium and Firefox do not read this one. Help &gt; Certificate authority and browser starts a Chromium or Firefox that trusts the CA.</source>
            <translation>浏览器有自己的证书存储：Chromium 和 Firefox 不读取此存储。帮助 &gt; 证书颁发机构和浏览器 可启动信任该 CA 的 Chromium 或 Firefox。</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="294" />
            <source>Tunnelscope listens on %1 only, which other devices cannot reach. To use it from a phone or another computer on your network, choose one of this computer's addresses under Edit &gt; Preferences &gt; Listen on (or start Tunnelscope with --listen ADDRESS:%2), then come back here. Anyone who can reach that address can then use the proxy: do it only on a network you trust.</source>
            <translation>Tunnelscope 仅在 %1 上监听，其他设备无法访问。要从您网络中的手机或其他计算机使用它，请在 编辑 &gt; 首选项 &gt; 监听地址 中选择本机的一个地址（或使用 --listen 地址:%2 启动 Tunnelscope），然后回到这里。之后，任何能访问该地址的人都可以使用此代理：只应在您信任的网络中这样做。</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="303" />
            <source>This computer has no network address other than loopback right now.</source>
            <translation>本机目前除回环地址外没有其他网络地址。</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="305" />
            <source>This computer's addresses:</source>
            <translation>本机地址：</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="314" />
            <source>Tunnelscope listens on all addresses, but this computer has no network address other than loopback right now.</source>
            <translation>Tunnelscope 在所有地址上监听，但本机目前除回环地址外没有其他网络地址。</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="323" />
            <source>On the phone, in the settings of the Wi-Fi network it shares with this computer, set the proxy to Manual with server %1 and port %2, or to Automatic with this URL:</source>
            <translation>在手机上，进入与本机共用的 Wi-Fi 网络的设置，将代理设为“手动”，服务器 %1，端口 %2；或设为“自动”，使用此 URL：</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="333" />
            <source>Then open %1 in the phone's browser (the QR code opens it) and download the CA certificate. Android: Settings &gt; Security &gt; Encryption &amp; credentials &gt; Install a certificate &gt; CA certificate; browsers then trust it, other apps only if they opt in to user CAs. iPhone and iPad: open it in Safari, install the profile under Settings &gt; General &gt; VPN &amp; Device Management, then turn on full trust under Settings &gt; General &gt; About &gt; Certificate Trust Settings.</source>
            <translation>然后在手机浏览器中打开 %1（扫描二维码即可打开）并下载 CA 证书。Android：设置 &gt; 安全 &gt; 加密与凭据 &gt; 安装证书 &gt; CA 证书；之后浏览器会信任它，其他应用只有在选择信任用户 CA 时才会信任。iPhone 和 iPad：在 Safari 中打开，在 设置 &gt; 通用 &gt; VPN 与设备管理 中安装描述文件，然后在 设置 &gt; 通用 &gt; 关于本机 &gt; 证书信任设置 中开启完全信任。</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="343" />
            <source>Devices that look for a proxy on their own (WPAD) find it when the network's DHCP server sends option 252 with %1. Remove the CA from the phone when you are done.</source>
            <translation>自动查找代理的设备（WPAD）会在网络的 DHCP 服务器以选项 252 发送 %1 时找到它。用完后请从手机上移除该 CA。</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="349" />
            <source>This computer has more addresses; use the one on the phone's network: %1</source>
            <translation>本机还有其他地址；请使用与手机处于同一网络的那个：%1</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="374" />
            <source>A new browser window with a throw-away profile that goes through the proxy, localhost included, and trusts the CA. Your own browser and its profile are not touched.</source>
            <translation>打开一个使用一次性配置文件的新浏览器窗口：它经过代理（包括 localhost）并信任该 CA。不会改动您自己的浏览器及其配置文件。</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="391" />
            <source>Launch &amp;Firefox</source>
            <translation>启动 Firefox(&amp;F)</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="391" />
            <source>Launch C&amp;hromium</source>
            <translation>启动 Chromium(&amp;H)</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="399" />
            <source>Neither Firefox nor Chromium can be started from here: it needs firefox or firefox-esr, or chromium, and certutil (package libnss3-tools).</source>
            <translation>无法从这里启动 Firefox 或 Chromium：需要 firefox 或 firefox-esr，或 chromium，以及 certutil（软件包 libnss3-tools）。</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="415" />
            <source>could not start %1</source>
            <translation>无法启动 %1</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="419" />
            <source>%1 failed: %2</source>
            <translation>%1 失败：%2</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="420" />
            <source>exit code %1</source>
            <translation>退出码 %1</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::CompareDialog</name>
        <message>
            <location filename="../ui/dialogs/compare_dialog.cpp" line="47" />
            <source>(binary body, %1)</source>
            <translation>（二进制消息体，%1）</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/compare_dialog.cpp" line="75" />
            <source>No response: %1</source>
            <translation>无响应：%1</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/compare_dialog.cpp" line="113" />
            <source>Compare Flows %1 and %2</source>
            <translation>比较流量 %1 和 %2</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/compare_dialog.cpp" line="164" />
            <location filename="../ui/dialogs/compare_dialog.cpp" line="167" />
            <source>Flow %1: %2</source>
            <translation>流量 %1：%2</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/compare_dialog.cpp" line="182" />
            <source>The two flows read the same.</source>
            <translation>两条流量内容相同。</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/compare_dialog.cpp" line="183" />
            <source>%1 lines differ (highlighted).</source>
            <translation>%1 行不同（已高亮显示）。</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::ComposerPane</name>
        <message>
            <location filename="../ui/composer/composer_dock.cpp" line="15" />
            <source>Composer</source>
            <translation>请求编辑器</translation>
        </message>
        <message numerus="yes">
            <location filename="../ui/composer/composer_pane.cpp" line="89" />
            <source>Sent %n request(s): </source>
            <translation>
                <numerusform>已发送 %n 个请求：</numerusform>
            </translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="90" />
            <source>%1 answered, %2 failed</source>
            <translation>%1 个已响应，%2 个失败</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="115" />
            <source>https://example.com/path</source>
            <translation>https://example.com/path</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="118" />
            <source>HTTP/1.1</source>
            <translation>HTTP/1.1</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="119" />
            <source>HTTP/2</source>
            <translation>HTTP/2</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="120" />
            <source>Send</source>
            <translation>发送</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="135" />
            <source>× </source>
            <translation>× </translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="140" />
            <source>at once: </source>
            <translation>同时：</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="141" />
            <source>Send N times</source>
            <translation>发送 N 次</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="154" />
            <location filename="../ui/composer/composer_pane.cpp" line="274" />
            <source>Name</source>
            <translation>名称</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="154" />
            <location filename="../ui/composer/composer_pane.cpp" line="213" />
            <location filename="../ui/composer/composer_pane.cpp" line="274" />
            <source>Value</source>
            <translation>值</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="159" />
            <source>Add</source>
            <translation>添加</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="161" />
            <source>Remove</source>
            <translation>移除</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="191" />
            <source>No body</source>
            <translation>无消息体</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="191" />
            <source>Text</source>
            <translation>文本</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="191" />
            <source>File</source>
            <translation>文件</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="191" />
            <source>Form (url-encoded)</source>
            <translation>表单（URL 编码）</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="200" />
            <source>Choose…</source>
            <translation>选择…</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="202" />
            <source>Body from a file</source>
            <translation>来自文件的消息体</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="213" />
            <source>Key</source>
            <translation>键</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="227" />
            <source>Direct (no upstream proxy)</source>
            <translation>直连（无上游代理）</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="229" />
            <source>The proxy's own upstream rules</source>
            <translation>使用代理自身的上游规则</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="231" />
            <source>Through these hops, first hop first:</source>
            <translation>依次经过这些跳（第一跳在前）：</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="239" />
            <source>http://127.0.0.1:3128
socks5h://user:password@10.0.0.2:1080</source>
            <translation>http://127.0.0.1:3128
socks5h://用户:密码@10.0.0.2:1080</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="241" />
            <source>Verify origin certificates</source>
            <translation>验证源服务器证书</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="255" />
            <location filename="../ui/composer/composer_pane.cpp" line="283" />
            <source>Headers</source>
            <translation>标头</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="256" />
            <location filename="../ui/composer/composer_pane.cpp" line="282" />
            <source>Body</source>
            <translation>消息体</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="257" />
            <source>Chain</source>
            <translation>代理链</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="266" />
            <location filename="../ui/composer/composer_pane.cpp" line="410" />
            <source>Nothing sent yet.</source>
            <translation>尚未发送任何内容。</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="304" />
            <source>History</source>
            <translation>历史</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="359" />
            <source>Cannot read the body file %1: %2</source>
            <translation>无法读取消息体文件 %1：%2</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="494" />
            <source>Chain: %1</source>
            <translation>代理链：%1</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="500" />
            <source>Chain: at most %1 hops</source>
            <translation>代理链：最多 %1 跳</translation>
        </message>
        <message numerus="yes">
            <location filename="../ui/composer/composer_pane.cpp" line="557" />
            <source>Sending %n request(s)…</source>
            <translation>
                <numerusform>正在发送 %n 个请求…</numerusform>
            </translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="557" />
            <source>Sending…</source>
            <translation>正在发送…</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="594" />
            <source>No response: %1</source>
            <translation>无响应：%1</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="600" />
            <source>from the proxy: %1</source>
            <translation>来自代理：%1</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="616" />
            <source>connect %1 · sent %2 · first byte %3 · complete %4</source>
            <translation>连接 %1 · 发送 %2 · 首字节 %3 · 完成 %4</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="653" />
            <source>failed</source>
            <translation>失败</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::ConnectionModel</name>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="39" />
            <source>Version: %1</source>
            <translation>版本：%1</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="41" />
            <source>Cipher: %1</source>
            <translation>加密套件：%1</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="43" />
            <source>SNI: %1</source>
            <translation>SNI：%1</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="48" />
            <source>ALPN offered: %1</source>
            <translation>提供的 ALPN：%1</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="51" />
            <source>ALPN chosen: %1</source>
            <translation>选定的 ALPN：%1</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="53" />
            <source>Handshake: %1 ms</source>
            <translation>握手：%1 毫秒</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="56" />
            <source>Certificate: %1</source>
            <translation>证书：%1</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="58" />
            <source>Not verified: %1</source>
            <translation>未验证：%1</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="60" />
            <source>Handshake failed: %1</source>
            <translation>握手失败：%1</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="157" />
            <source>failed</source>
            <translation>失败</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="166" />
            <source>%1 ms</source>
            <translation>%1 毫秒</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="168" />
            <source>%1 s</source>
            <translation>%1 秒</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="171" />
            <source>%1 min %2 s</source>
            <translation>%1 分 %2 秒</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="172" />
            <source>%1 h %2 min</source>
            <translation>%1 小时 %2 分</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="191" />
            <source>%1 on listener %2</source>
            <translation>%1，监听器 %2</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="193" />
            <source>%1 (%2) from %3, opened by client connection %4</source>
            <translation>%1（%2）来自 %3，由客户端连接 %4 打开</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="220" />
            <source>client</source>
            <translation>客户端</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="220" />
            <source>server</source>
            <translation>服务器</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="228" />
            <source>%1 (%2)</source>
            <translation>%1（%2）</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="241" />
            <source>%1, open</source>
            <translation>%1，打开中</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="277" />
            <source>#</source>
            <translation>#</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="279" />
            <source>Side</source>
            <translation>侧</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="281" />
            <source>Protocol</source>
            <translation>协议</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="283" />
            <source>Peer</source>
            <translation>对端</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="285" />
            <source>TLS</source>
            <translation>TLS</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="287" />
            <source>Streams</source>
            <translation>流</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="289" />
            <source>Flows</source>
            <translation>流量</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="291" />
            <source>In</source>
            <translation>入</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="293" />
            <source>Out</source>
            <translation>出</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="295" />
            <source>Lifetime</source>
            <translation>持续时间</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="297" />
            <source>Close reason</source>
            <translation>关闭原因</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="306" />
            <source>Client side: a client connected to the proxy. Server side: the proxy connected to an origin or the next proxy.</source>
            <translation>客户端侧：客户端连接到代理。服务器侧：代理连接到源服务器或下一个代理。</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="309" />
            <source>Client side: the client's address. Server side: the target and the address connected to.</source>
            <translation>客户端侧：客户端的地址。服务器侧：目标及所连接的地址。</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="312" />
            <source>Version · ALPN · SNI</source>
            <translation>版本 · ALPN · SNI</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="314" />
            <source>Bytes received from the peer</source>
            <translation>从对端接收的字节数</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="316" />
            <source>Bytes sent to the peer</source>
            <translation>发送给对端的字节数</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::ConnectionsPane</name>
        <message>
            <location filename="../ui/panes/connections_pane.cpp" line="40" />
            <source>Both sides</source>
            <translation>两侧</translation>
        </message>
        <message>
            <location filename="../ui/panes/connections_pane.cpp" line="41" />
            <source>Client side</source>
            <translation>客户端侧</translation>
        </message>
        <message>
            <location filename="../ui/panes/connections_pane.cpp" line="42" />
            <source>Server side</source>
            <translation>服务器侧</translation>
        </message>
        <message>
            <location filename="../ui/panes/connections_pane.cpp" line="48" />
            <source>&amp;Show:</source>
            <translation>显示(&amp;S)：</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::CurlCommand</name>
        <message>
            <location filename="../ui/detail/curl_command.cpp" line="148" />
            <source>The request body was not recorded in full; the command reads it from body.bin</source>
            <translation>请求体未完整记录；该命令会从 body.bin 读取</translation>
        </message>
        <message>
            <location filename="../ui/detail/curl_command.cpp" line="152" />
            <source>The request body (%1 bytes) does not fit a command line; save it as body.bin next to where the command runs</source>
            <translation>请求体（%1 字节）无法放入命令行；请将其另存为 body.bin，放在运行该命令的目录中</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::ErrorText</name>
        <message>
            <location filename="../ui/error_text.cpp" line="12" />
            <source>Tunnelscope cannot listen on that address and port.</source>
            <translation>Tunnelscope 无法在该地址和端口上监听。</translation>
        </message>
        <message>
            <location filename="../ui/error_text.cpp" line="15" />
            <source>The address to listen on is not an IP address.</source>
            <translation>监听地址不是 IP 地址。</translation>
        </message>
        <message>
            <location filename="../ui/error_text.cpp" line="19" />
            <source>Tunnelscope cannot load or create its certificate authority, the CA it intercepts HTTPS with.</source>
            <translation>Tunnelscope 无法加载或创建其证书颁发机构（用于拦截 HTTPS 的 CA）。</translation>
        </message>
        <message>
            <location filename="../ui/error_text.cpp" line="23" />
            <source>A file of the certificate authority cannot be read or written.</source>
            <translation>无法读取或写入证书颁发机构的文件。</translation>
        </message>
        <message>
            <location filename="../ui/error_text.cpp" line="23" />
            <source>A file of the certificate authority is damaged.</source>
            <translation>证书颁发机构的某个文件已损坏。</translation>
        </message>
        <message>
            <location filename="../ui/error_text.cpp" line="23" />
            <source>A file of the certificate authority is missing.</source>
            <translation>证书颁发机构的某个文件缺失。</translation>
        </message>
        <message>
            <location filename="../ui/error_text.cpp" line="32" />
            <source>The CA's private key does not belong to its certificate.</source>
            <translation>CA 的私钥与其证书不匹配。</translation>
        </message>
        <message>
            <location filename="../ui/error_text.cpp" line="36" />
            <source>The CA certificate has expired; tunnelscope --regenerate-ca makes a new one.</source>
            <translation>CA 证书已过期；tunnelscope --regenerate-ca 可生成新的证书。</translation>
        </message>
        <message>
            <location filename="../ui/error_text.cpp" line="38" />
            <source>The filter is not valid.</source>
            <translation>筛选条件无效。</translation>
        </message>
        <message>
            <location filename="../ui/error_text.cpp" line="40" />
            <source>The file cannot be opened.</source>
            <translation>无法打开该文件。</translation>
        </message>
        <message>
            <location filename="../ui/error_text.cpp" line="43" />
            <source>The file is not a Tunnelscope session.</source>
            <translation>该文件不是 Tunnelscope 会话。</translation>
        </message>
        <message>
            <location filename="../ui/error_text.cpp" line="46" />
            <source>The session was saved by a newer Tunnelscope.</source>
            <translation>该会话由更新版本的 Tunnelscope 保存。</translation>
        </message>
        <message>
            <location filename="../ui/error_text.cpp" line="48" />
            <source>The file cannot be written.</source>
            <translation>无法写入该文件。</translation>
        </message>
        <message>
            <location filename="../ui/error_text.cpp" line="51" />
            <source>The file is not a HAR file Tunnelscope can read.</source>
            <translation>该文件不是 Tunnelscope 能读取的 HAR 文件。</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::FlowDetailPane</name>
        <message>
            <location filename="../ui/detail/flow_detail_pane.cpp" line="33" />
            <source>Request</source>
            <translation>请求</translation>
        </message>
        <message>
            <location filename="../ui/detail/flow_detail_pane.cpp" line="34" />
            <source>Response</source>
            <translation>响应</translation>
        </message>
        <message>
            <location filename="../ui/detail/flow_detail_pane.cpp" line="38" />
            <source>Timing</source>
            <translation>时间</translation>
        </message>
        <message>
            <location filename="../ui/detail/flow_detail_pane.cpp" line="39" />
            <source>TLS</source>
            <translation>TLS</translation>
        </message>
        <message>
            <location filename="../ui/detail/flow_detail_pane.cpp" line="79" />
            <source>Select a flow to see it here.</source>
            <translation>选择一条流量以在此查看。</translation>
        </message>
        <message>
            <location filename="../ui/detail/flow_detail_pane.cpp" line="1" />
            <source>Messages</source>
            <translation>消息</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::FlowMarks</name>
        <message>
            <location filename="../ui/models/flow_marks.cpp" line="16" />
            <source>None</source>
            <translation>无</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_marks.cpp" line="18" />
            <source>Red</source>
            <translation>红色</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_marks.cpp" line="20" />
            <source>Orange</source>
            <translation>橙色</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_marks.cpp" line="22" />
            <source>Yellow</source>
            <translation>黄色</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_marks.cpp" line="24" />
            <source>Green</source>
            <translation>绿色</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_marks.cpp" line="26" />
            <source>Blue</source>
            <translation>蓝色</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_marks.cpp" line="28" />
            <source>Purple</source>
            <translation>紫色</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_marks.cpp" line="30" />
            <source>Gray</source>
            <translation>灰色</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::FlowMarksActions</name>
        <message>
            <location filename="../ui/widgets/flow_marks_actions.cpp" line="26" />
            <source>&amp;Pin</source>
            <translation>固定(&amp;P)</translation>
        </message>
        <message>
            <location filename="../ui/widgets/flow_marks_actions.cpp" line="30" />
            <source>Pin the selected flows (the filter's pinned finds them)</source>
            <translation>固定所选流量（过滤器用 pinned 查找）</translation>
        </message>
        <message>
            <location filename="../ui/widgets/flow_marks_actions.cpp" line="34" />
            <source>&amp;Highlight</source>
            <translation>高亮(&amp;H)</translation>
        </message>
        <message>
            <location filename="../ui/widgets/flow_marks_actions.cpp" line="38" />
            <source>Tint the selected rows (the filter's color:red finds them)</source>
            <translation>为所选行着色（过滤器用 color:red 查找）</translation>
        </message>
        <message>
            <location filename="../ui/widgets/flow_marks_actions.cpp" line="57" />
            <source>Comme&amp;nt…</source>
            <translation>备注(&amp;N)…</translation>
        </message>
        <message>
            <location filename="../ui/widgets/flow_marks_actions.cpp" line="60" />
            <source>Write a comment on the selected flows (the filter's comment:text)</source>
            <translation>为所选流量写备注（过滤器：comment:文本）</translation>
        </message>
        <message>
            <location filename="../ui/widgets/flow_marks_actions.cpp" line="66" />
            <source>Comment</source>
            <translation>备注</translation>
        </message>
        <message>
            <location filename="../ui/widgets/flow_marks_actions.cpp" line="67" />
            <source>Your comment on the selected flows. It is saved with the session and in HAR exports; it is not sent anywhere.</source>
            <translation>您对所选流量的备注。它随会话和 HAR 导出一起保存，不会发送到任何地方。</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::FlowTableModel</name>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="596" />
            <source>Server certificate not verified: %1</source>
            <translation>服务器证书未验证：%1</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="675" />
            <source>passed through</source>
            <translation>直通</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="675" />
            <source>passed through, %1</source>
            <translation>直通，%1</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="679" />
            <source>intercepted</source>
            <translation>已拦截</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="679" />
            <source>intercepted, %1</source>
            <translation>已拦截，%1</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="681" />
            <source>handshake failed</source>
            <translation>握手失败</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="688" />
            <source>exchange</source>
            <translation>交换</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="690" />
            <source>tunnel</source>
            <translation>隧道</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="692" />
            <source>WebSocket</source>
            <translation>WebSocket</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="708" />
            <location filename="../ui/models/flow_table_model.cpp" line="709" />
            <source>%1 ms</source>
            <translation>%1 毫秒</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="752" />
            <source>#</source>
            <translation>#</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="754" />
            <source>Time</source>
            <translation>时间</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="756" />
            <source>Client</source>
            <translation>客户端</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="758" />
            <source>Method</source>
            <translation>方法</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="760" />
            <source>Scheme</source>
            <translation>协议方案</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="762" />
            <source>Host</source>
            <translation>主机</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="764" />
            <source>Path</source>
            <translation>路径</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="766" />
            <source>Status</source>
            <translation>状态</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="768" />
            <source>Client protocol</source>
            <translation>客户端协议</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="770" />
            <source>Server protocol</source>
            <translation>服务器协议</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="772" />
            <source>TLS</source>
            <translation>TLS</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="774" />
            <source>Type</source>
            <translation>类型</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="776" />
            <source>Request</source>
            <translation>请求</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="778" />
            <source>Response</source>
            <translation>响应</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="780" />
            <source>Duration</source>
            <translation>耗时</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="782" />
            <source>Error</source>
            <translation>错误</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="800" />
            <source>Request body bytes; for tunnels, bytes from the client to the server</source>
            <translation>请求体字节数；对于隧道，是从客户端到服务器的字节数</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="802" />
            <source>Response body bytes; for tunnels, bytes from the server to the client</source>
            <translation>响应体字节数；对于隧道，是从服务器到客户端的字节数</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="804" />
            <source>From the request's arrival to the end of the response</source>
            <translation>从请求到达至响应结束</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="806" />
            <source>Client address and port</source>
            <translation>客户端地址和端口</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="808" />
            <source>The HTTP version the client spoke to the proxy</source>
            <translation>客户端与代理之间使用的 HTTP 版本</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="810" />
            <source>The HTTP version the server answered the proxy with</source>
            <translation>服务器响应代理时使用的 HTTP 版本</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="812" />
            <source>Whether the proxy decrypted the connection, and the TLS version</source>
            <translation>代理是否解密了该连接，以及 TLS 版本</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="814" />
            <source>Exchange (request and response), tunnel (CONNECT) or WebSocket</source>
            <translation>交换（请求和响应）、隧道（CONNECT）或 WebSocket</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="823" />
            <source>%1 B</source>
            <translation>%1 B</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="920" />
            <source>Comment</source>
            <translation>备注</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="954" />
            <source>Your comment on the flow (row menu → Comment…); the filter finds it with comment:text</source>
            <translation>您对该流量的备注（行菜单 → 备注…）；过滤器用 comment:文本 查找</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::FrameModel</name>
        <message>
            <location filename="../ui/panes/frame_model.cpp" line="198" />
            <source>Received from the peer</source>
            <translation>从对端接收</translation>
        </message>
        <message>
            <location filename="../ui/panes/frame_model.cpp" line="198" />
            <source>Sent by Tunnelscope</source>
            <translation>由 Tunnelscope 发送</translation>
        </message>
        <message>
            <location filename="../ui/panes/frame_model.cpp" line="238" />
            <source>#</source>
            <translation>#</translation>
        </message>
        <message>
            <location filename="../ui/panes/frame_model.cpp" line="240" />
            <source>Time (s)</source>
            <translation>时间（秒）</translation>
        </message>
        <message>
            <location filename="../ui/panes/frame_model.cpp" line="242" />
            <source>Dir</source>
            <translation>方向</translation>
        </message>
        <message>
            <location filename="../ui/panes/frame_model.cpp" line="244" />
            <source>Type</source>
            <translation>类型</translation>
        </message>
        <message>
            <location filename="../ui/panes/frame_model.cpp" line="246" />
            <source>Flags</source>
            <translation>标志</translation>
        </message>
        <message>
            <location filename="../ui/panes/frame_model.cpp" line="248" />
            <source>Stream</source>
            <translation>流</translation>
        </message>
        <message>
            <location filename="../ui/panes/frame_model.cpp" line="250" />
            <source>Length</source>
            <translation>长度</translation>
        </message>
        <message>
            <location filename="../ui/panes/frame_model.cpp" line="252" />
            <source>Summary</source>
            <translation>摘要</translation>
        </message>
        <message>
            <location filename="../ui/panes/frame_model.cpp" line="258" />
            <source>The frame's number on the connection, counting dropped frames</source>
            <translation>该帧在连接上的序号（含已丢弃的帧）</translation>
        </message>
        <message>
            <location filename="../ui/panes/frame_model.cpp" line="260" />
            <source>Seconds since the connection opened</source>
            <translation>自连接打开以来的秒数</translation>
        </message>
        <message>
            <location filename="../ui/panes/frame_model.cpp" line="262" />
            <source>← received from the peer, → sent by Tunnelscope</source>
            <translation>← 从对端接收，→ 由 Tunnelscope 发送</translation>
        </message>
        <message>
            <location filename="../ui/panes/frame_model.cpp" line="264" />
            <source>Payload bytes</source>
            <translation>负载字节数</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::FramesPane</name>
        <message>
            <location filename="../ui/panes/frames_pane.cpp" line="50" />
            <source>All types</source>
            <translation>所有类型</translation>
        </message>
        <message>
            <location filename="../ui/panes/frames_pane.cpp" line="61" />
            <source>all</source>
            <translation>全部</translation>
        </message>
        <message>
            <location filename="../ui/panes/frames_pane.cpp" line="65" />
            <source>Only the frames of this stream (0: the connection's own frames)</source>
            <translation>仅显示此流的帧（0：连接本身的帧）</translation>
        </message>
        <message>
            <location filename="../ui/panes/frames_pane.cpp" line="75" />
            <source>&amp;Type:</source>
            <translation>类型(&amp;T)：</translation>
        </message>
        <message>
            <location filename="../ui/panes/frames_pane.cpp" line="77" />
            <source>&amp;Stream:</source>
            <translation>流(&amp;S)：</translation>
        </message>
        <message>
            <location filename="../ui/panes/frames_pane.cpp" line="171" />
            <source>Select a connection to see its frames</source>
            <translation>选择一个连接以查看其帧</translation>
        </message>
        <message>
            <location filename="../ui/panes/frames_pane.cpp" line="173" />
            <source>Connection #%1 (%2): no frame log</source>
            <translation>连接 #%1（%2）：无帧日志</translation>
        </message>
        <message>
            <location filename="../ui/panes/frames_pane.cpp" line="181" />
            <source>Connection #%1: 1 frame</source>
            <translation>连接 #%1：1 个帧</translation>
        </message>
        <message>
            <location filename="../ui/panes/frames_pane.cpp" line="182" />
            <source>Connection #%1: %L2 frames</source>
            <translation>连接 #%1：%L2 个帧</translation>
        </message>
        <message>
            <location filename="../ui/panes/frames_pane.cpp" line="185" />
            <source>Connection #%1: %L2 of %L3 frames</source>
            <translation>连接 #%1：%L2 / %L3 个帧</translation>
        </message>
        <message>
            <location filename="../ui/panes/frames_pane.cpp" line="190" />
            <source>%L1 older frames dropped; the log keeps the newest %L2</source>
            <translation>已丢弃 %L1 个较早的帧；日志保留最新的 %L2 个</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::GraphQlView</name>
        <message>
            <location filename="../ui/detail/graphql_view.cpp" line="35" />
            <source>Variables</source>
            <translation>变量</translation>
        </message>
        <message>
            <location filename="../ui/detail/graphql_view.cpp" line="80" />
            <source>operation</source>
            <translation>操作</translation>
        </message>
        <message>
            <location filename="../ui/detail/graphql_view.cpp" line="81" />
            <source>%1 (anonymous)</source>
            <translation>%1（匿名）</translation>
        </message>
        <message>
            <location filename="../ui/detail/graphql_view.cpp" line="94" />
            <source>%1 of %2: %3</source>
            <translation>第 %1/%2 个：%3</translation>
        </message>
        <message>
            <location filename="../ui/detail/graphql_view.cpp" line="112" />
            <source>Batch of %1 operations</source>
            <translation>批量请求，共 %1 个操作</translation>
        </message>
        <message>
            <location filename="../ui/detail/graphql_view.cpp" line="116" />
            <source>Variables: none</source>
            <translation>变量：无</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::InspectorDocks</name>
        <message>
            <location filename="../ui/panes/inspector_docks.cpp" line="37" />
            <source>Tunnels</source>
            <translation>隧道</translation>
        </message>
        <message>
            <location filename="../ui/panes/inspector_docks.cpp" line="40" />
            <source>Connections</source>
            <translation>连接</translation>
        </message>
        <message>
            <location filename="../ui/panes/inspector_docks.cpp" line="43" />
            <source>Frames</source>
            <translation>帧</translation>
        </message>
        <message>
            <location filename="../ui/panes/inspector_docks.cpp" line="46" />
            <source>Streams</source>
            <translation>流</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::MainWindow</name>
        <message>
            <location filename="../ui/main_window.cpp" line="130" />
            <location filename="../ui/main_window.cpp" line="1058" />
            <source>Tunnelscope</source>
            <translation>Tunnelscope</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="136" />
            <source>Details</source>
            <translation>详情</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="218" />
            <source>&amp;Details</source>
            <translation>详细信息(&amp;D)</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="219" />
            <source>&amp;Tunnels</source>
            <translation>隧道(&amp;T)</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="220" />
            <source>&amp;Connections</source>
            <translation>连接(&amp;C)</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="221" />
            <source>&amp;Frames</source>
            <translation>帧(&amp;F)</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="222" />
            <source>&amp;Streams</source>
            <translation>流(&amp;S)</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="223" />
            <source>Co&amp;mposer</source>
            <translation>请求编辑器(&amp;M)</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="226" />
            <source>Could not put the system proxy back as it was before Tunnelscope stopped unexpectedly: %1</source>
            <translation>Tunnelscope 上次意外退出，未能将系统代理恢复原样：%1</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="230" />
            <source>Tunnelscope stopped unexpectedly last time with the system proxy set; it is back as it was.</source>
            <translation>Tunnelscope 上次在设置了系统代理时意外退出；系统代理现已恢复原样。</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="282" />
            <source>Status</source>
            <translation>状态</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="306" />
            <source>&amp;Open Session…</source>
            <translation>打开会话(&amp;O)…</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="311" />
            <source>&amp;Save Session</source>
            <translation>保存会话(&amp;S)</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="316" />
            <source>Save Session &amp;As…</source>
            <translation>会话另存为(&amp;A)…</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="321" />
            <source>&amp;Import HAR…</source>
            <translation>导入 HAR(&amp;I)…</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="325" />
            <source>&amp;Export HAR…</source>
            <translation>导出 HAR(&amp;E)…</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="329" />
            <source>&amp;Preferences…</source>
            <translation>首选项(&amp;P)…</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="336" />
            <source>&amp;Certificate authority and browser…</source>
            <translation>证书颁发机构和浏览器(&amp;C)…</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="341" />
            <source>&amp;Set up a client…</source>
            <translation>设置客户端(&amp;S)…</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="345" />
            <source>&amp;Keyboard Shortcuts</source>
            <translation>键盘快捷键(&amp;K)</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="413" />
            <source>Export Se&amp;lection as HAR…</source>
            <translation>将所选流量导出为 HAR(&amp;L)…</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="416" />
            <source>The selected flows (Ctrl+A selects every flow the filter shows)</source>
            <translation>所选流量（Ctrl+A 选择筛选器显示的所有流量）</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="420" />
            <source>Copy Request &amp;Body</source>
            <translation>复制请求体(&amp;B)</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="424" />
            <source>Copy Response B&amp;ody</source>
            <translation>复制响应体(&amp;O)</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="428" />
            <source>Save Request Body…</source>
            <translation>保存请求体…</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="431" />
            <source>Save Response Body…</source>
            <translation>保存响应体…</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="452" />
            <source>&amp;User Guide</source>
            <translation>用户指南(&amp;U)</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="349" />
            <source>&amp;About Tunnelscope</source>
            <translation>关于 Tunnelscope(&amp;A)</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="493" />
            <source>Remove the selected flows (Edit → Undo brings them back)</source>
            <translation>移除所选流量（编辑 → 撤销 可将其恢复）</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="500" />
            <source>The frames of the selected flow's stream; double-click a frame to come back</source>
            <translation>所选流量所在流的帧；双击某一帧即可返回</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="354" />
            <source>&amp;Quit</source>
            <translation>退出(&amp;Q)</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="360" />
            <location filename="../ui/main_window.cpp" line="1266" />
            <source>&amp;Pause</source>
            <translation>暂停(&amp;P)</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="365" />
            <source>Stop showing new flows (the proxy keeps running)</source>
            <translation>停止显示新流量（代理继续运行）</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="368" />
            <source>C&amp;lear</source>
            <translation>清空(&amp;L)</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="372" />
            <source>Forget every recorded flow</source>
            <translation>丢弃所有已记录的流量</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="488" />
            <source>Dele&amp;te</source>
            <translation>删除(&amp;T)</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="497" />
            <source>Show &amp;Connection and Frames</source>
            <translation>显示连接和帧(&amp;C)</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="504" />
            <source>Co&amp;mpare Two Flows</source>
            <translation>比较两条流量(&amp;M)</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="506" />
            <source>Select two flows (Ctrl+click) to see them side by side</source>
            <translation>选择两条流量（Ctrl+单击）以并排查看</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="509" />
            <source>U&amp;ndo</source>
            <translation>撤销(&amp;N)</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="512" />
            <source>R&amp;edo</source>
            <translation>重做(&amp;E)</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="376" />
            <source>&amp;Intercept TLS</source>
            <translation>拦截 TLS(&amp;I)</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="380" />
            <source>Decrypt TLS in new tunnels</source>
            <translation>在新隧道中解密 TLS</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="384" />
            <source>Copy &amp;URL</source>
            <translation>复制 URL(&amp;U)</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="392" />
            <source>Copy &amp;As</source>
            <translation>复制为(&amp;A)</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="394" />
            <source>&amp;curl</source>
            <translation>curl(&amp;C)</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="399" />
            <source>&amp;fetch (JavaScript)</source>
            <translation>fetch（JavaScript）(&amp;F)</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="402" />
            <source>&amp;Python requests</source>
            <translation>Python requests(&amp;P)</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="405" />
            <source>&amp;HTTPie</source>
            <translation>HTTPie(&amp;H)</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="410" />
            <source>&amp;Replay</source>
            <translation>重放(&amp;R)</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="413" />
            <source>Send the selected request again, as it was</source>
            <translation>按原样再次发送所选请求</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="416" />
            <source>E&amp;dit and Replay…</source>
            <translation>编辑并重放(&amp;D)…</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="419" />
            <source>Put the selected request into the composer</source>
            <translation>将所选请求放入请求编辑器</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="423" />
            <source>&amp;Filter…</source>
            <translation>筛选(&amp;F)…</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="568" />
            <source>&amp;Search Bodies…</source>
            <translation>搜索消息体(&amp;S)…</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="572" />
            <source>The flows whose request or response body contains a text (the filter's body:)</source>
            <translation>请求或响应消息体包含某段文本的流量（筛选器中的 body:）</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="427" />
            <source>&amp;Auto-scroll to new flows</source>
            <translation>自动滚动到新流量(&amp;A)</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="432" />
            <source>&amp;Reset Layout</source>
            <translation>重置布局(&amp;R)</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="434" />
            <source>Put every pane back where it was at the first start</source>
            <translation>将所有面板恢复到首次启动时的位置</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="440" />
            <source>&amp;File</source>
            <translation>文件(&amp;F)</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="450" />
            <source>&amp;Edit</source>
            <translation>编辑(&amp;E)</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="463" />
            <source>&amp;View</source>
            <translation>视图(&amp;V)</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="474" />
            <source>&amp;Help</source>
            <translation>帮助(&amp;H)</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="485" />
            <source>Main</source>
            <translation>主工具栏</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="497" />
            <source>Filter, e.g. host:example.com status&gt;=400</source>
            <translation>筛选，例如 host:example.com status&gt;=400</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="504" />
            <source>The filter language</source>
            <translation>筛选语言</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="445" />
            <source>Resident memory of the process, and what recorded flows and connections hold in memory against the memory budget: bodies %1, headers %2, frame logs %3. Beyond the budget, closed connections' frame logs and older flows' bodies and headers go to disk.</source>
            <translation>进程的常驻内存，以及已记录的流量和连接在内存中占用的量（对照内存预算）：消息体 %1，标头 %2，帧日志 %3。超出预算时，已关闭连接的帧日志以及较早流量的消息体和标头会转存到磁盘。</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="448" />
            <source>Frames left out of connection logs that reached their capacity, or that the memory budget could not keep</source>
            <translation>因连接日志已满或内存预算无法保留而被略去的帧</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="539" />
            <source>Out of file descriptors: new connections wait</source>
            <translation>文件描述符已用尽：新连接正在等待</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="540" />
            <source>The proxy holds as many files and sockets as the system allows it; new clients are accepted when some close</source>
            <translation>代理打开的文件和套接字已达系统上限；待部分关闭后才会接受新客户端</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="619" />
            <source>Filtering…</source>
            <translation>正在筛选…</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="622" />
            <source>Applied in %1 ms</source>
            <translation>已在 %1 毫秒内应用</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="679" />
            <source>Not listening: nothing will be recorded. File → Open Session opens a recorded one.</source>
            <translation>未监听：不会记录任何内容。文件 → 打开会话 可打开已记录的会话。</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="684" />
            <source>Listening on %1.

Point a client at the proxy, for example:
curl -x http://%2 http://example.com/</source>
            <translation>正在监听 %1。

将客户端指向该代理，例如：
curl -x http://%2 http://example.com/</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="689" />
            <source>For a browser that trusts Tunnelscope's CA (HTTPS included): Help → Certificate authority and browser.</source>
            <translation>如需使用信任 Tunnelscope CA 的浏览器（包括 HTTPS）：帮助 → 证书颁发机构和浏览器。</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="693" />
            <source>No flows match the filter.
Esc in the filter box clears it.</source>
            <translation>没有与筛选条件匹配的流量。
在筛选框中按 Esc 可清除。</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="695" />
            <source>Paused: new flows are held back until you resume.</source>
            <translation>已暂停：新流量将保留到您继续为止。</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="745" />
            <source>Filter language</source>
            <translation>筛选语言</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="799" />
            <source>Select a flow to copy its URL</source>
            <translation>请选择要复制 URL 的流量</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="803" />
            <source>Copied the URL</source>
            <translation>已复制 URL</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="808" />
            <location filename="../ui/main_window.cpp" line="822" />
            <source>Select a request to copy</source>
            <translation>请选择要复制的请求</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="815" />
            <source>Copied</source>
            <translation>已复制</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="827" />
            <source>Copied as curl</source>
            <translation>已复制为 curl</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="834" />
            <source>Select a request to replay</source>
            <translation>请选择要重放的请求</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="848" />
            <source>Select a request to edit</source>
            <translation>请选择要编辑的请求</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="862" />
            <location filename="../ui/main_window.cpp" line="888" />
            <location filename="../ui/main_window.cpp" line="896" />
            <source>Open Session</source>
            <translation>打开会话</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="863" />
            <source>Tunnelscope session (*.tss);;HTTP Archive (*.har);;All files (*)</source>
            <translation>Tunnelscope 会话 (*.tss);;HTTP 存档 (*.har);;所有文件 (*)</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="871" />
            <location filename="../ui/main_window.cpp" line="924" />
            <location filename="../ui/main_window.cpp" line="930" />
            <source>Import HAR</source>
            <translation>导入 HAR</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="872" />
            <location filename="../ui/main_window.cpp" line="981" />
            <source>HTTP Archive (*.har);;All files (*)</source>
            <translation>HTTP 存档 (*.har);;所有文件 (*)</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="889" />
            <source>%1 is neither a Tunnelscope session (.tss) nor a HAR file (.har).</source>
            <translation>%1 既不是 Tunnelscope 会话（.tss），也不是 HAR 文件（.har）。</translation>
        </message>
        <message numerus="yes">
            <location filename="../ui/main_window.cpp" line="916" />
            <source>Opened %1: %n flow(s)</source>
            <translation>
                <numerusform>已打开 %1：%n 条流量</numerusform>
            </translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="925" />
            <source>Cannot read %1: %2</source>
            <translation>无法读取 %1：%2</translation>
        </message>
        <message numerus="yes">
            <location filename="../ui/main_window.cpp" line="947" />
            <source>Imported %n flow(s) from %1</source>
            <translation>
                <numerusform>已从 %1 导入 %n 条流量</numerusform>
            </translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1169" />
            <location filename="../ui/main_window.cpp" line="1188" />
            <source>Select the flows to export</source>
            <translation>请选择要导出的流量</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1173" />
            <location filename="../ui/main_window.cpp" line="1194" />
            <source>Export Selection as HAR</source>
            <translation>将所选流量导出为 HAR</translation>
        </message>
        <message numerus="yes">
            <location filename="../ui/main_window.cpp" line="1198" />
            <source>Exported %n flow(s) to %1</source>
            <translation>
                <numerusform>已将 %n 条流量导出到 %1</numerusform>
            </translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1205" />
            <source>Select a request to copy its body</source>
            <translation>请选择要复制其消息体的请求</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1211" />
            <location filename="../ui/main_window.cpp" line="1255" />
            <source>The response has no body</source>
            <translation>响应没有消息体</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1211" />
            <location filename="../ui/main_window.cpp" line="1255" />
            <source>The request has no body</source>
            <translation>请求没有消息体</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1221" />
            <source>The body is not text: save it to a file instead</source>
            <translation>消息体不是文本：请改为保存到文件</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1225" />
            <source>Copied the body (%1)</source>
            <translation>已复制消息体（%1）</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1231" />
            <location filename="../ui/main_window.cpp" line="1249" />
            <source>Select a request to save its body</source>
            <translation>请选择要保存其消息体的请求</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1241" />
            <location filename="../ui/main_window.cpp" line="1266" />
            <source>Save Response Body</source>
            <translation>保存响应体</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1241" />
            <location filename="../ui/main_window.cpp" line="1266" />
            <source>Save Request Body</source>
            <translation>保存请求体</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1267" />
            <source>Cannot write %1: %2</source>
            <translation>无法写入 %1：%2</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1270" />
            <source>Saved the body to %1 (%2)</source>
            <translation>已将消息体保存到 %1（%2）</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="980" />
            <location filename="../ui/main_window.cpp" line="990" />
            <source>Export HAR</source>
            <translation>导出 HAR</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="994" />
            <source>Exported to %1</source>
            <translation>已导出到 %1</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1012" />
            <location filename="../ui/main_window.cpp" line="1035" />
            <location filename="../ui/main_window.cpp" line="1043" />
            <source>Save Session</source>
            <translation>保存会话</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1013" />
            <source>Tunnelscope session (*.tss)</source>
            <translation>Tunnelscope 会话 (*.tss)</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1036" />
            <source>The session could not be saved there.

%1

It was saved to %2 instead.</source>
            <translation>会话无法保存到该位置。

%1

已改为保存到 %2。</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1044" />
            <source>The session was not saved.

%1</source>
            <translation>会话未保存。

%1</translation>
        </message>
        <message numerus="yes">
            <location filename="../ui/main_window.cpp" line="1050" />
            <source>Saved %n flow(s) to %1</source>
            <translation>
                <numerusform>已将 %n 条流量保存到 %1</numerusform>
            </translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1060" />
            <source>%1 — Tunnelscope</source>
            <translation>%1 — Tunnelscope</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1062" />
            <source>Not listening</source>
            <translation>未监听</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1065" />
            <source>Listening on %1</source>
            <translation>正在监听 %1</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1069" />
            <source>%1; new flows are added to %2 (save to keep them)</source>
            <translation>%1；新流量会添加到 %2（保存后才会保留）</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1167" />
            <source>the listen address</source>
            <translation>监听地址</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1168" />
            <source>the listen port</source>
            <translation>监听端口</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1169" />
            <source>the HTTPS proxy port</source>
            <translation>HTTPS 代理端口</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1170" />
            <source>TLS interception</source>
            <translation>TLS 拦截</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1171" />
            <source>the pass-through hosts</source>
            <translation>直通主机</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1172" />
            <source>server certificate verification</source>
            <translation>服务器证书验证</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1173" />
            <source>the frame log size</source>
            <translation>帧日志大小</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1174" />
            <source>the upstream proxies</source>
            <translation>上游代理</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1181" />
            <source>Saved. New values of %1 apply after Tunnelscope restarts.</source>
            <translation>已保存。%1 的新值将在 Tunnelscope 重启后生效。</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1185" />
            <source>Preferences</source>
            <translation>首选项</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1191" />
            <source>Preferences saved</source>
            <translation>首选项已保存</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1569" />
            <source>Tunnelscope User Guide</source>
            <translation>Tunnelscope 用户指南</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1224" />
            <source>Ctrl+Home, Ctrl+End</source>
            <translation>Ctrl+Home、Ctrl+End</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1224" />
            <source>First, last flow</source>
            <translation>第一条、最后一条流量</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1225" />
            <source>Esc</source>
            <translation>Esc</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1225" />
            <source>Clear the filter (in the filter box)</source>
            <translation>清除筛选（在筛选框中）</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1236" />
            <source>Keyboard Shortcuts</source>
            <translation>键盘快捷键</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1250" />
            <source>About Tunnelscope</source>
            <translation>关于 Tunnelscope</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1251" />
            <source>Tunnelscope %1

A desktop proxy debugger: an intercepting forward proxy and an inspector for its flows, tunnels, connections, frames and streams.

Built with Qt %2. Help → Keyboard Shortcuts lists the keys; the ? beside the filter box explains the filter language.</source>
            <translation>Tunnelscope %1

桌面代理调试器：一个可拦截的正向代理，以及用于查看其流量、隧道、连接、帧和流的检查器。

基于 Qt %2 构建。帮助 → 键盘快捷键 列出了按键；筛选框旁的 ? 说明了筛选语言。</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1266" />
            <source>&amp;Resume</source>
            <translation>继续(&amp;R)</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1612" />
            <source>Clear</source>
            <translation>清空</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1627" />
            <source>Select the flows to delete</source>
            <translation>请选择要删除的流量</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1632" />
            <source>Delete 1 Flow</source>
            <translation>删除 1 条流量</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1633" />
            <source>Delete %1 Flows</source>
            <translation>删除 %1 条流量</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1648" />
            <source>Select two flows to compare them</source>
            <translation>请选择两条流量进行比较</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1944" />
            <source>Quit Tunnelscope</source>
            <translation>退出 Tunnelscope</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1946" />
            <source>The capture (1 flow) has changes that are not saved.</source>
            <translation>捕获（1 条流量）有未保存的更改。</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1947" />
            <source>The capture (%1 flows) has changes that are not saved.</source>
            <translation>捕获（%1 条流量）有未保存的更改。</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1951" />
            <source>Save the capture before quitting?</source>
            <translation>退出前保存捕获吗？</translation>
        </message>
        <message numerus="yes">
            <location filename="../ui/main_window.cpp" line="1641" />
            <source>Deleted %n flow(s); Edit → Undo brings them back</source>
            <translation>
                <numerusform>已删除 %n 条流量；编辑 → 撤销 可将其恢复</numerusform>
            </translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1667" />
            <source>Select a flow to show its connection</source>
            <translation>请选择要显示其连接的流量</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1676" />
            <source>Frames of flow %1 on connection #%2</source>
            <translation>流量 %1 在连接 #%2 上的帧</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1684" />
            <source>Flow %1 crossed connection #%2, which has no frame log (HTTP/1.1)</source>
            <translation>流量 %1 经过了连接 #%2，该连接没有帧日志（HTTP/1.1）</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1690" />
            <source>No connection was recorded for flow %1</source>
            <translation>没有为流量 %1 记录连接</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1736" />
            <source>Autosave failed: %1</source>
            <translation>自动保存失败：%1</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1757" />
            <source>Recover Capture</source>
            <translation>恢复捕获</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1758" />
            <source>Tunnelscope did not quit normally last time (it was stopped by the system, killed or crashed). Its capture was autosaved on %1.

Open it?</source>
            <translation>Tunnelscope 上次未正常退出（被系统停止、被强制终止或崩溃）。其捕获已于 %1 自动保存。

要打开吗？</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1763" />
            <source>&amp;Open It</source>
            <translation>打开(&amp;O)</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1764" />
            <source>&amp;Discard It</source>
            <translation>丢弃(&amp;D)</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1284" />
            <location filename="../ui/main_window.cpp" line="1298" />
            <source>1 tunnel</source>
            <translation>1 条隧道</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1284" />
            <location filename="../ui/main_window.cpp" line="1298" />
            <source>%1 tunnels</source>
            <translation>%1 条隧道</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1293" />
            <source>%1 of %2 flows</source>
            <translation>%1 / %2 条流量</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1295" />
            <source>1 flow</source>
            <translation>1 条流量</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1296" />
            <source>%1 flows</source>
            <translation>%1 条流量</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1310" />
            <source>Paused: %1 new flows not shown</source>
            <translation>已暂停：%1 条新流量未显示</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1311" />
            <source>%1 flows not shown (arrived while paused)</source>
            <translation>%1 条流量未显示（在暂停期间到达）</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1044" />
            <source>Memory %1 (records %2 of %3)</source>
            <translation>内存 %1（记录 %2 / %3）</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1320" />
            <source>unknown</source>
            <translation>未知</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1329" />
            <source>1 frame dropped</source>
            <translation>已丢弃 1 个帧</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1330" />
            <source>%1 frames dropped</source>
            <translation>已丢弃 %1 个帧</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1322" />
            <source> (%1 to stay within the memory budget)</source>
            <translation>（其中 %1 个是为了不超出内存预算）</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1349" />
            <source>Flow %1 is not in the table (filtered out or arrived while paused)</source>
            <translation>流量 %1 不在表中（已被筛除或在暂停期间到达）</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::MessageView</name>
        <message>
            <location filename="../ui/detail/message_view.cpp" line="21" />
            <location filename="../ui/detail/message_view.cpp" line="84" />
            <source>Name</source>
            <translation>名称</translation>
        </message>
        <message>
            <location filename="../ui/detail/message_view.cpp" line="21" />
            <location filename="../ui/detail/message_view.cpp" line="84" />
            <source>Value</source>
            <translation>值</translation>
        </message>
        <message>
            <location filename="../ui/detail/message_view.cpp" line="128" />
            <source>(file %1, %2 bytes)</source>
            <translation>（文件 %1，%2 字节）</translation>
        </message>
        <message>
            <location filename="../ui/detail/message_view.cpp" line="163" />
            <source>Attributes</source>
            <translation>属性</translation>
        </message>
        <message>
            <location filename="../ui/detail/message_view.cpp" line="84" />
            <source>Change</source>
            <translation>变更</translation>
        </message>
        <message>
            <location filename="../ui/detail/message_view.cpp" line="99" />
            <source>Headers</source>
            <translation>标头</translation>
        </message>
        <message>
            <location filename="../ui/detail/message_view.cpp" line="100" />
            <source>Raw</source>
            <translation>原始</translation>
        </message>
        <message>
            <location filename="../ui/detail/message_view.cpp" line="101" />
            <source>Trailers</source>
            <translation>尾部标头</translation>
        </message>
        <message>
            <location filename="../ui/detail/message_view.cpp" line="187" />
            <source>Query</source>
            <translation>查询参数</translation>
        </message>
        <message>
            <location filename="../ui/detail/message_view.cpp" line="188" />
            <source>Cookies</source>
            <translation>Cookie</translation>
        </message>
        <message>
            <location filename="../ui/detail/message_view.cpp" line="189" />
            <source>Form</source>
            <translation>表单</translation>
        </message>
        <message>
            <location filename="../ui/detail/message_view.cpp" line="146" />
            <source>To server, %1</source>
            <translation>发往服务器，%1</translation>
        </message>
        <message>
            <location filename="../ui/detail/message_view.cpp" line="146" />
            <source>To client, %1</source>
            <translation>发往客户端，%1</translation>
        </message>
        <message>
            <location filename="../ui/detail/message_view.cpp" line="149" />
            <source> (%1 changed)</source>
            <translation>（%1 处更改）</translation>
        </message>
        <message>
            <location filename="../ui/detail/message_view.cpp" line="149" />
            <source> (unchanged)</source>
            <translation>（未更改）</translation>
        </message>
        <message>
            <location filename="../ui/detail/message_view.cpp" line="150" />
            <source>The request as the proxy sent it to the server</source>
            <translation>代理发送给服务器的请求</translation>
        </message>
        <message>
            <location filename="../ui/detail/message_view.cpp" line="151" />
            <source>The response as the proxy sent it to the client</source>
            <translation>代理发送给客户端的响应</translation>
        </message>
        <message>
            <location filename="../ui/detail/message_view.cpp" line="168" />
            <source>Trailers:</source>
            <translation>尾部标头：</translation>
        </message>
        <message>
            <location filename="../ui/detail/message_view.cpp" line="203" />
            <source>added</source>
            <translation>已添加</translation>
        </message>
        <message>
            <location filename="../ui/detail/message_view.cpp" line="208" />
            <location filename="../ui/detail/message_view.cpp" line="222" />
            <source>removed</source>
            <translation>已移除</translation>
        </message>
        <message>
            <location filename="../ui/detail/message_view.cpp" line="195" />
            <source>GraphQL</source>
            <translation>GraphQL</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::PortInUseDialog</name>
        <message>
            <location filename="../ui/dialogs/port_in_use_dialog.cpp" line="101" />
            <source>the proxy</source>
            <translation>代理</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/port_in_use_dialog.cpp" line="102" />
            <source>the HTTPS proxy</source>
            <translation>HTTPS 代理</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/port_in_use_dialog.cpp" line="103" />
            <source>SOCKS5</source>
            <translation>SOCKS5</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/port_in_use_dialog.cpp" line="114" />
            <source>address already in use</source>
            <translation>地址已被占用</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/port_in_use_dialog.cpp" line="120" />
            <source>Tunnelscope</source>
            <translation>Tunnelscope</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/port_in_use_dialog.cpp" line="121" />
            <source>Tunnelscope cannot start.

%1</source>
            <translation>Tunnelscope 无法启动。

%1</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/port_in_use_dialog.cpp" line="129" />
            <source>Port in use</source>
            <translation>端口被占用</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/port_in_use_dialog.cpp" line="135" />
            <source>Tunnelscope cannot listen on %1 for %2: %3.

Another program (perhaps another Tunnelscope) holds the port.</source>
            <translation>Tunnelscope 无法在 %1 上为%2监听：%3。

另一个程序（可能是另一个 Tunnelscope）占用了该端口。</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/port_in_use_dialog.cpp" line="138" />
            <source>Tunnelscope cannot listen on %1 for %2: %3.

%4 holds the port.</source>
            <translation>Tunnelscope 无法在 %1 上为%2监听：%3。

%4 占用了该端口。</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/port_in_use_dialog.cpp" line="141" />
            <source>Start on another port? Clients must then be pointed at that port; Edit → Preferences keeps a port for the next starts.</source>
            <translation>在另一个端口上启动？之后必须让客户端指向该端口；编辑 → 首选项 可为以后的启动保留一个端口。</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/port_in_use_dialog.cpp" line="154" />
            <source>Port:</source>
            <translation>端口：</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/port_in_use_dialog.cpp" line="157" />
            <source>Start on This Port</source>
            <translation>在此端口上启动</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/port_in_use_dialog.cpp" line="160" />
            <source>Quit</source>
            <translation>退出</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/port_in_use_dialog.cpp" line="72" />
            <source>PID %1</source>
            <translation>PID %1</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/port_in_use_dialog.cpp" line="73" />
            <source>%1 (PID %2)</source>
            <translation>%1 (PID %2)</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::ProcessRunner</name>
        <message>
            <location filename="../ui/setup/command_runner.cpp" line="27" />
            <source>%1 did not finish</source>
            <translation>%1 未能及时结束</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::RequestSnippets</name>
        <message>
            <location filename="../ui/detail/request_snippets.cpp" line="40" />
            <source>The request body (%1 bytes) is left out: it is too large or was not recorded in full</source>
            <translation>请求体（%1 字节）已省略：它太大或未完整记录</translation>
        </message>
        <message>
            <location filename="../ui/detail/request_snippets.cpp" line="50" />
            <source>The request body (%1 bytes) is binary and left out</source>
            <translation>请求体（%1 字节）是二进制数据，已省略</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::SettingsDialog</name>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="70" />
            <source>Preferences</source>
            <translation>首选项</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="74" />
            <source>Proxy</source>
            <translation>代理</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="83" />
            <source>port</source>
            <translation>端口</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="85" />
            <source>&amp;Listen on:</source>
            <translation>监听地址(&amp;L)：</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="88" />
            <source>Other machines can reach the proxy on this address.</source>
            <translation>其他机器可以通过此地址访问代理。</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="94" />
            <source>A second listener for clients that speak TLS to the proxy (curl -x https://..., Chromium --proxy-server=https://...)</source>
            <translation>为与代理之间使用 TLS 的客户端提供的第二个监听器（curl -x https://...、Chromium --proxy-server=https://...）</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="96" />
            <source>&amp;HTTPS proxy port:</source>
            <translation>HTTPS 代理端口(&amp;H)：</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="96" />
            <source>(0: none)</source>
            <translation>（0：无）</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="100" />
            <source>TLS</source>
            <translation>TLS</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="102" />
            <source>&amp;Intercept TLS (decrypt with Tunnelscope's CA)</source>
            <translation>拦截 TLS（使用 Tunnelscope 的 CA 解密）(&amp;I)</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="108" />
            <source>*.bank.example
re:^login\.
One pattern per line</source>
            <translation>*.bank.example
re:^login\.
每行一个模式</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="111" />
            <source>&amp;Pass through:</source>
            <translation>直通(&amp;P)：</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="113" />
            <source>&amp;Verify servers' certificates</source>
            <translation>验证服务器证书(&amp;V)</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="119" />
            <source>Memory</source>
            <translation>内存</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="121" />
            <source>&amp;Recorded flows in memory:</source>
            <translation>内存中已记录的流量(&amp;R)：</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="122" />
            <source>MiB</source>
            <translation>MiB</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="125" />
            <source>&amp;One body in memory:</source>
            <translation>单个消息体内存(&amp;O)：</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="126" />
            <source>KiB, the rest spills to disk</source>
            <translation>KiB，其余转存到磁盘</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="129" />
            <source>&amp;Frame log:</source>
            <translation>帧日志(&amp;F)：</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="129" />
            <source>frames per connection</source>
            <translation>个帧/连接</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="134" />
            <source>Appearance</source>
            <translation>外观</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="138" />
            <source>Follow the system</source>
            <translation>跟随系统</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="139" />
            <source>Light</source>
            <translation>浅色</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="140" />
            <source>Dark</source>
            <translation>深色</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="142" />
            <source>Colo&amp;urs:</source>
            <translation>颜色(&amp;U)：</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="136" />
            <source>Server-side connections go through these proxies in order, hop 1 first; each hop is reached through the ones before it. No hops: direct. Passwords are shown as ***. Changes apply to connections opened from then on.</source>
            <translation>服务器侧连接按顺序经过这些代理，第 1 跳在前；每一跳都通过之前的跳到达。没有跳：直连。密码显示为 ***。更改对此后打开的连接生效。</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="142" />
            <source>&amp;Chain:</source>
            <translation>代理链(&amp;C)：</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="144" />
            <source>http://user:password@proxy.example:3128</source>
            <translation>http://用户:密码@proxy.example:3128</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="147" />
            <source>&amp;Rules:</source>
            <translation>规则(&amp;R)：</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="149" />
            <source>*.corp.example = http://proxy:3128   or   10.* = direct</source>
            <translation>*.corp.example = http://proxy:3128   或   10.* = direct</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="152" />
            <source>A rule sends the hosts its globs match through its own chain (hop URLs separated by commas) or direct; the first rule that matches wins, the chain above takes the rest.</source>
            <translation>规则将其通配符匹配的主机通过它自己的代理链（以逗号分隔的跳 URL）发送或直连；第一条匹配的规则生效，其余由上方的代理链处理。</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="171" />
            <source>General</source>
            <translation>常规</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="172" />
            <source>Upstream proxies</source>
            <translation>上游代理</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="217" />
            <source>&amp;Add</source>
            <translation>添加(&amp;A)</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="219" />
            <source>Remove</source>
            <translation>移除</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="221" />
            <source>Up</source>
            <translation>上移</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="223" />
            <source>Down</source>
            <translation>下移</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="369" />
            <source>Press Add to use it, or clear the field.</source>
            <translation>按“添加”使用它，或清空该字段。</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::StreamModel</name>
        <message>
            <location filename="../ui/panes/stream_model.cpp" line="174" />
            <source>Double-click to show flow #%1</source>
            <translation>双击以显示流量 #%1</translation>
        </message>
        <message>
            <location filename="../ui/panes/stream_model.cpp" line="176" />
            <source>RST_STREAM error code %1</source>
            <translation>RST_STREAM 错误码 %1</translation>
        </message>
        <message>
            <location filename="../ui/panes/stream_model.cpp" line="199" />
            <source>Stream</source>
            <translation>流</translation>
        </message>
        <message>
            <location filename="../ui/panes/stream_model.cpp" line="201" />
            <source>Summary</source>
            <translation>摘要</translation>
        </message>
        <message>
            <location filename="../ui/panes/stream_model.cpp" line="203" />
            <source>State</source>
            <translation>状态</translation>
        </message>
        <message>
            <location filename="../ui/panes/stream_model.cpp" line="205" />
            <source>In</source>
            <translation>入</translation>
        </message>
        <message>
            <location filename="../ui/panes/stream_model.cpp" line="207" />
            <source>Out</source>
            <translation>出</translation>
        </message>
        <message>
            <location filename="../ui/panes/stream_model.cpp" line="209" />
            <source>Local window</source>
            <translation>本地窗口</translation>
        </message>
        <message>
            <location filename="../ui/panes/stream_model.cpp" line="211" />
            <source>Remote window</source>
            <translation>远端窗口</translation>
        </message>
        <message>
            <location filename="../ui/panes/stream_model.cpp" line="213" />
            <source>Reset</source>
            <translation>重置</translation>
        </message>
        <message>
            <location filename="../ui/panes/stream_model.cpp" line="215" />
            <source>Flow</source>
            <translation>流量</translation>
        </message>
        <message>
            <location filename="../ui/panes/stream_model.cpp" line="221" />
            <source>The latest state; the tooltip of a cell lists every change</source>
            <translation>最新状态；单元格的工具提示列出了每次变化</translation>
        </message>
        <message>
            <location filename="../ui/panes/stream_model.cpp" line="223" />
            <source>DATA payload received from the peer</source>
            <translation>从对端接收的 DATA 负载</translation>
        </message>
        <message>
            <location filename="../ui/panes/stream_model.cpp" line="225" />
            <source>DATA payload sent to the peer</source>
            <translation>发送给对端的 DATA 负载</translation>
        </message>
        <message>
            <location filename="../ui/panes/stream_model.cpp" line="227" />
            <source>What the peer may still send us</source>
            <translation>对端还可以发送给我们的量</translation>
        </message>
        <message>
            <location filename="../ui/panes/stream_model.cpp" line="229" />
            <source>What we may still send the peer</source>
            <translation>我们还可以发送给对端的量</translation>
        </message>
        <message>
            <location filename="../ui/panes/stream_model.cpp" line="231" />
            <source>The RST_STREAM error code, when the stream was reset</source>
            <translation>流被重置时的 RST_STREAM 错误码</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::StreamsPane</name>
        <message>
            <location filename="../ui/panes/streams_pane.cpp" line="38" />
            <source>The state changes of the selected stream</source>
            <translation>所选流的状态变化</translation>
        </message>
        <message>
            <location filename="../ui/panes/streams_pane.cpp" line="117" />
            <source>Select a connection to see its streams</source>
            <translation>选择一个连接以查看其流</translation>
        </message>
        <message>
            <location filename="../ui/panes/streams_pane.cpp" line="119" />
            <source>Connection #%1: not multiplexed, no streams</source>
            <translation>连接 #%1：未多路复用，无流</translation>
        </message>
        <message>
            <location filename="../ui/panes/streams_pane.cpp" line="121" />
            <source>Connection #%1: 1 stream</source>
            <translation>连接 #%1：1 个流</translation>
        </message>
        <message>
            <location filename="../ui/panes/streams_pane.cpp" line="124" />
            <source>Connection #%1: %L2 streams</source>
            <translation>连接 #%1：%L2 个流</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::StructureModel</name>
        <message>
            <location filename="../ui/views/structure_model.cpp" line="145" />
            <source>All flows</source>
            <translation>全部流量</translation>
        </message>
        <message>
            <location filename="../ui/views/structure_model.cpp" line="148" />
            <source>Every flow; select a host or path to show only its flows</source>
            <translation>全部流量；选择一个主机或路径，只显示其下的流量</translation>
        </message>
        <message>
            <location filename="../ui/views/structure_model.cpp" line="150" />
            <source>Flows to %1: %2</source>
            <translation>发往 %1 的流量：%2</translation>
        </message>
        <message>
            <location filename="../ui/views/structure_model.cpp" line="152" />
            <source>Flows under %1/%2: %3</source>
            <translation>%1/%2 下的流量：%3</translation>
        </message>
        <message>
            <location filename="../ui/views/structure_model.cpp" line="175" />
            <source>Host and path</source>
            <translation>主机和路径</translation>
        </message>
        <message>
            <location filename="../ui/views/structure_model.cpp" line="177" />
            <source>Flows</source>
            <translation>流量</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::TimelinePane</name>
        <message>
            <location filename="../ui/views/timeline_pane.cpp" line="41" />
            <source>Lookup</source>
            <translation>域名解析</translation>
        </message>
        <message>
            <location filename="../ui/views/timeline_pane.cpp" line="42" />
            <source>Connect</source>
            <translation>连接</translation>
        </message>
        <message>
            <location filename="../ui/views/timeline_pane.cpp" line="43" />
            <source>TLS</source>
            <translation>TLS</translation>
        </message>
        <message>
            <location filename="../ui/views/timeline_pane.cpp" line="44" />
            <source>Request sent</source>
            <translation>请求已发送</translation>
        </message>
        <message>
            <location filename="../ui/views/timeline_pane.cpp" line="45" />
            <source>Waiting</source>
            <translation>等待</translation>
        </message>
        <message>
            <location filename="../ui/views/timeline_pane.cpp" line="46" />
            <source>Receiving</source>
            <translation>接收</translation>
        </message>
        <message>
            <location filename="../ui/views/timeline_pane.cpp" line="47" />
            <source>Open or no timings</source>
            <translation>未完成或无计时</translation>
        </message>
        <message>
            <location filename="../ui/views/timeline_pane.cpp" line="73" />
            <source>%1 selected flows over %2</source>
            <translation>%1 条选中的流量，历时 %2</translation>
        </message>
        <message>
            <location filename="../ui/views/timeline_pane.cpp" line="74" />
            <source>%1 flows shown in the table, over %2; select two or more rows to draw only those</source>
            <translation>表格中显示的 %1 条流量，历时 %2；选择两行或更多行可只绘制这些</translation>
        </message>
        <message>
            <location filename="../ui/views/timeline_pane.cpp" line="53" />
            <source>Ctrl+wheel zooms</source>
            <translation>Ctrl+滚轮缩放</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::TimelineView</name>
        <message>
            <location filename="../ui/views/timeline_view.cpp" line="273" />
            <source>Starts at +%1</source>
            <translation>开始于 +%1</translation>
        </message>
        <message>
            <location filename="../ui/views/timeline_view.cpp" line="275" />
            <source>%1: %2</source>
            <translation>%1：%2</translation>
        </message>
        <message>
            <location filename="../ui/views/timeline_view.cpp" line="277" />
            <source>Still open</source>
            <translation>尚未完成</translation>
        </message>
        <message>
            <location filename="../ui/views/timeline_view.cpp" line="279" />
            <source>Total: %1</source>
            <translation>合计：%1</translation>
        </message>
        <message>
            <location filename="../ui/views/timeline_view.cpp" line="298" />
            <source>No flows to show. The timeline draws the flows the table shows, or the rows selected in it when there are two or more.</source>
            <translation>没有可显示的流量。时间线绘制表格中显示的流量；若表格中选中了两行或更多，则只绘制选中的行。</translation>
        </message>
        <message>
            <location filename="../ui/views/timeline_view.cpp" line="373" />
            <source>Flow</source>
            <translation>流量</translation>
        </message>
        <message>
            <location filename="../ui/views/timeline_view.cpp" line="1" />
            <source>Flow (zoom %1×)</source>
            <translation>流量（缩放 %1×）</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::TimingView</name>
        <message>
            <location filename="../ui/detail/timing_view.cpp" line="14" />
            <source>%1 µs</source>
            <translation>%1 微秒</translation>
        </message>
        <message>
            <location filename="../ui/detail/timing_view.cpp" line="16" />
            <source>%1 ms</source>
            <translation>%1 毫秒</translation>
        </message>
        <message>
            <location filename="../ui/detail/timing_view.cpp" line="17" />
            <source>%1 s</source>
            <translation>%1 秒</translation>
        </message>
        <message>
            <location filename="../ui/detail/timing_view.cpp" line="41" />
            <source>Name lookup</source>
            <translation>域名解析</translation>
        </message>
        <message>
            <location filename="../ui/detail/timing_view.cpp" line="42" />
            <source>Connect</source>
            <translation>连接</translation>
        </message>
        <message>
            <location filename="../ui/detail/timing_view.cpp" line="44" />
            <source>TLS handshake</source>
            <translation>TLS 握手</translation>
        </message>
        <message>
            <location filename="../ui/detail/timing_view.cpp" line="45" />
            <source>Request sent</source>
            <translation>请求已发送</translation>
        </message>
        <message>
            <location filename="../ui/detail/timing_view.cpp" line="46" />
            <source>Waiting (first byte)</source>
            <translation>等待（首字节）</translation>
        </message>
        <message>
            <location filename="../ui/detail/timing_view.cpp" line="47" />
            <source>Receiving</source>
            <translation>接收</translation>
        </message>
        <message>
            <location filename="../ui/detail/timing_view.cpp" line="54" />
            <source>The server connection was reused: no lookup, connect or TLS.</source>
            <translation>复用了服务器连接：无需解析、连接或 TLS。</translation>
        </message>
        <message>
            <location filename="../ui/detail/timing_view.cpp" line="57" />
            <source>Tunnels have no request timings; their exchanges do.</source>
            <translation>隧道本身没有请求时间；其中的交换才有。</translation>
        </message>
        <message>
            <location filename="../ui/detail/timing_view.cpp" line="95" />
            <source>No timings recorded.</source>
            <translation>未记录时间。</translation>
        </message>
        <message>
            <location filename="../ui/detail/timing_view.cpp" line="118" />
            <source>Total %1</source>
            <translation>总计 %1</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::TlsView</name>
        <message>
            <location filename="../ui/detail/tls_view.cpp" line="44" />
            <source>no TLS</source>
            <translation>无 TLS</translation>
        </message>
        <message>
            <location filename="../ui/detail/tls_view.cpp" line="48" />
            <source>Failure</source>
            <translation>失败</translation>
        </message>
        <message>
            <location filename="../ui/detail/tls_view.cpp" line="49" />
            <source>SNI</source>
            <translation>SNI</translation>
        </message>
        <message>
            <location filename="../ui/detail/tls_view.cpp" line="50" />
            <source>ALPN offered</source>
            <translation>提供的 ALPN</translation>
        </message>
        <message>
            <location filename="../ui/detail/tls_view.cpp" line="51" />
            <source>ALPN chosen</source>
            <translation>选定的 ALPN</translation>
        </message>
        <message>
            <location filename="../ui/detail/tls_view.cpp" line="52" />
            <source>Version</source>
            <translation>版本</translation>
        </message>
        <message>
            <location filename="../ui/detail/tls_view.cpp" line="53" />
            <source>Cipher</source>
            <translation>加密套件</translation>
        </message>
        <message>
            <location filename="../ui/detail/tls_view.cpp" line="55" />
            <source>Handshake</source>
            <translation>握手</translation>
        </message>
        <message>
            <location filename="../ui/detail/tls_view.cpp" line="56" />
            <source>%1 ms</source>
            <translation>%1 毫秒</translation>
        </message>
        <message>
            <location filename="../ui/detail/tls_view.cpp" line="59" />
            <source>Verification</source>
            <translation>验证</translation>
        </message>
        <message>
            <location filename="../ui/detail/tls_view.cpp" line="61" />
            <source>verified</source>
            <translation>已验证</translation>
        </message>
        <message>
            <location filename="../ui/detail/tls_view.cpp" line="62" />
            <source>not verified: %1</source>
            <translation>未验证：%1</translation>
        </message>
        <message>
            <location filename="../ui/detail/tls_view.cpp" line="66" />
            <source>Server's certificate chain</source>
            <translation>服务器的证书链</translation>
        </message>
        <message>
            <location filename="../ui/detail/tls_view.cpp" line="67" />
            <source>Certificate shown to the client</source>
            <translation>向客户端出示的证书</translation>
        </message>
        <message numerus="yes">
            <location filename="../ui/detail/tls_view.cpp" line="68" />
            <source>%n certificate(s)</source>
            <translation>
                <numerusform>%n 个证书</numerusform>
            </translation>
        </message>
        <message>
            <location filename="../ui/detail/tls_view.cpp" line="71" />
            <source>Subject</source>
            <translation>主体</translation>
        </message>
        <message>
            <location filename="../ui/detail/tls_view.cpp" line="72" />
            <source>Issuer</source>
            <translation>颁发者</translation>
        </message>
        <message>
            <location filename="../ui/detail/tls_view.cpp" line="74" />
            <source>Names</source>
            <translation>名称</translation>
        </message>
        <message>
            <location filename="../ui/detail/tls_view.cpp" line="75" />
            <source>Valid</source>
            <translation>有效期</translation>
        </message>
        <message>
            <location filename="../ui/detail/tls_view.cpp" line="76" />
            <source>%1 to %2</source>
            <translation>%1 至 %2</translation>
        </message>
        <message>
            <location filename="../ui/detail/tls_view.cpp" line="78" />
            <source>Key</source>
            <translation>键</translation>
        </message>
        <message>
            <location filename="../ui/detail/tls_view.cpp" line="80" />
            <source>Serial</source>
            <translation>序列号</translation>
        </message>
        <message>
            <location filename="../ui/detail/tls_view.cpp" line="81" />
            <source>SHA-256</source>
            <translation>SHA-256</translation>
        </message>
        <message>
            <location filename="../ui/detail/tls_view.cpp" line="90" />
            <source>Field</source>
            <translation>字段</translation>
        </message>
        <message>
            <location filename="../ui/detail/tls_view.cpp" line="90" />
            <source>Value</source>
            <translation>值</translation>
        </message>
        <message>
            <location filename="../ui/detail/tls_view.cpp" line="109" />
            <source>Client side (client ↔ proxy)</source>
            <translation>客户端侧（客户端 ↔ 代理）</translation>
        </message>
        <message>
            <location filename="../ui/detail/tls_view.cpp" line="110" />
            <source>Server side (proxy ↔ server)</source>
            <translation>服务器侧（代理 ↔ 服务器）</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::TunnelModel</name>
        <message>
            <location filename="../ui/panes/tunnel_model.cpp" line="37" />
            <source>open</source>
            <translation>打开</translation>
        </message>
        <message>
            <location filename="../ui/panes/tunnel_model.cpp" line="39" />
            <source>closed</source>
            <translation>已关闭</translation>
        </message>
        <message>
            <location filename="../ui/panes/tunnel_model.cpp" line="41" />
            <source>failed</source>
            <translation>失败</translation>
        </message>
        <message>
            <location filename="../ui/panes/tunnel_model.cpp" line="204" />
            <source>%1 stream %2 on connection %3</source>
            <translation>%1 流 %2，位于连接 %3</translation>
        </message>
        <message>
            <location filename="../ui/panes/tunnel_model.cpp" line="208" />
            <source>%1 CONNECT</source>
            <translation>%1 CONNECT</translation>
        </message>
        <message>
            <location filename="../ui/panes/tunnel_model.cpp" line="214" />
            <source>0 B/s</source>
            <translation>0 B/s</translation>
        </message>
        <message>
            <location filename="../ui/panes/tunnel_model.cpp" line="215" />
            <source>%1/s</source>
            <translation>%1/秒</translation>
        </message>
        <message>
            <location filename="../ui/panes/tunnel_model.cpp" line="238" />
            <source>Over the last %1 ms between updates</source>
            <translation>两次更新之间的最近 %1 毫秒</translation>
        </message>
        <message>
            <location filename="../ui/panes/tunnel_model.cpp" line="271" />
            <source>intercepted</source>
            <translation>已拦截</translation>
        </message>
        <message>
            <location filename="../ui/panes/tunnel_model.cpp" line="271" />
            <source>passed through</source>
            <translation>直通</translation>
        </message>
        <message>
            <location filename="../ui/panes/tunnel_model.cpp" line="317" />
            <source>#</source>
            <translation>#</translation>
        </message>
        <message>
            <location filename="../ui/panes/tunnel_model.cpp" line="319" />
            <source>Client</source>
            <translation>客户端</translation>
        </message>
        <message>
            <location filename="../ui/panes/tunnel_model.cpp" line="321" />
            <source>Target</source>
            <translation>目标</translation>
        </message>
        <message>
            <location filename="../ui/panes/tunnel_model.cpp" line="323" />
            <source>Carrier</source>
            <translation>承载</translation>
        </message>
        <message>
            <location filename="../ui/panes/tunnel_model.cpp" line="325" />
            <source>TLS</source>
            <translation>TLS</translation>
        </message>
        <message>
            <location filename="../ui/panes/tunnel_model.cpp" line="327" />
            <source>Sent ↑</source>
            <translation>已发送 ↑</translation>
        </message>
        <message>
            <location filename="../ui/panes/tunnel_model.cpp" line="329" />
            <source>Received ↓</source>
            <translation>已接收 ↓</translation>
        </message>
        <message>
            <location filename="../ui/panes/tunnel_model.cpp" line="331" />
            <source>Throughput</source>
            <translation>吞吐量</translation>
        </message>
        <message>
            <location filename="../ui/panes/tunnel_model.cpp" line="333" />
            <source>State</source>
            <translation>状态</translation>
        </message>
        <message>
            <location filename="../ui/panes/tunnel_model.cpp" line="335" />
            <source>Close reason</source>
            <translation>关闭原因</translation>
        </message>
        <message>
            <location filename="../ui/panes/tunnel_model.cpp" line="352" />
            <source>How the client asked for the tunnel</source>
            <translation>客户端请求隧道的方式</translation>
        </message>
        <message>
            <location filename="../ui/panes/tunnel_model.cpp" line="354" />
            <source>Intercepted (decrypted) or passed through as it is; the tooltip says why</source>
            <translation>已拦截（解密）或原样直通；工具提示说明原因</translation>
        </message>
        <message>
            <location filename="../ui/panes/tunnel_model.cpp" line="356" />
            <source>Bytes from the client to the server</source>
            <translation>从客户端到服务器的字节数</translation>
        </message>
        <message>
            <location filename="../ui/panes/tunnel_model.cpp" line="358" />
            <source>Bytes from the server to the client</source>
            <translation>从服务器到客户端的字节数</translation>
        </message>
        <message>
            <location filename="../ui/panes/tunnel_model.cpp" line="360" />
            <source>Bytes per second each way between the last two updates</source>
            <translation>最近两次更新之间每个方向的每秒字节数</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::TunnelsPane</name>
        <message>
            <location filename="../ui/panes/tunnels_pane.cpp" line="107" />
            <source>Flows carried by tunnel #%1</source>
            <translation>隧道 #%1 承载的流量</translation>
        </message>
        <message>
            <location filename="../ui/panes/tunnels_pane.cpp" line="108" />
            <source>Select a tunnel to see the flows it carried</source>
            <translation>选择一条隧道以查看其承载的流量</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::ViewDocks</name>
        <message>
            <location filename="../ui/views/view_docks.cpp" line="24" />
            <source>Structure</source>
            <translation>结构</translation>
        </message>
        <message>
            <location filename="../ui/views/view_docks.cpp" line="29" />
            <source>Struct&amp;ure</source>
            <translation>结构(&amp;U)</translation>
        </message>
        <message>
            <location filename="../ui/views/view_docks.cpp" line="34" />
            <source>Timeline</source>
            <translation>时间线</translation>
        </message>
        <message>
            <location filename="../ui/views/view_docks.cpp" line="39" />
            <source>Time&amp;line</source>
            <translation>时间线(&amp;L)</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::WebSocketMessageModel</name>
        <message>
            <location filename="../ui/detail/websocket_message_model.cpp" line="1" />
            <source>Text</source>
            <translation>文本</translation>
        </message>
        <message>
            <location filename="../ui/detail/websocket_message_model.cpp" line="1" />
            <source>Binary</source>
            <translation>二进制</translation>
        </message>
        <message>
            <location filename="../ui/detail/websocket_message_model.cpp" line="1" />
            <source>Close</source>
            <translation>关闭</translation>
        </message>
        <message>
            <location filename="../ui/detail/websocket_message_model.cpp" line="1" />
            <source>Ping</source>
            <translation>Ping</translation>
        </message>
        <message>
            <location filename="../ui/detail/websocket_message_model.cpp" line="1" />
            <source>Pong</source>
            <translation>Pong</translation>
        </message>
        <message>
            <location filename="../ui/detail/websocket_message_model.cpp" line="1" />
            <source>Opcode %1</source>
            <translation>操作码 %1</translation>
        </message>
        <message>
            <location filename="../ui/detail/websocket_message_model.cpp" line="1" />
            <source>Sent by the client</source>
            <translation>由客户端发送</translation>
        </message>
        <message>
            <location filename="../ui/detail/websocket_message_model.cpp" line="1" />
            <source>Received from the server</source>
            <translation>从服务器接收</translation>
        </message>
        <message>
            <location filename="../ui/detail/websocket_message_model.cpp" line="1" />
            <source>Time</source>
            <translation>时间</translation>
        </message>
        <message>
            <location filename="../ui/detail/websocket_message_model.cpp" line="1" />
            <source>Type</source>
            <translation>类型</translation>
        </message>
        <message>
            <location filename="../ui/detail/websocket_message_model.cpp" line="1" />
            <source>Size</source>
            <translation>大小</translation>
        </message>
        <message>
            <location filename="../ui/detail/websocket_message_model.cpp" line="1" />
            <source>Data</source>
            <translation>数据</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::WebSocketView</name>
        <message>
            <location filename="../ui/detail/websocket_view.cpp" line="1" />
            <source>Select a message to see it whole.</source>
            <translation>选择一条消息以查看其全部内容。</translation>
        </message>
        <message numerus="yes">
            <location filename="../ui/detail/websocket_view.cpp" line="1" />
            <source>%n message(s) not recorded: past this flow's budget.</source>
            <translation>
                <numerusform>%n 条消息未记录：超出此流量的预算。</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <location filename="../ui/detail/websocket_view.cpp" line="1" />
            <source>%n long message(s) recorded in part.</source>
            <translation>
                <numerusform>%n 条长消息仅部分记录。</numerusform>
            </translation>
        </message>
        <message>
            <location filename="../ui/detail/websocket_view.cpp" line="1" />
            <source>Recording stopped: %1</source>
            <translation>记录已停止：%1</translation>
        </message>
        <message>
            <location filename="../ui/detail/websocket_view.cpp" line="1" />
            <source>Close code %1</source>
            <translation>关闭代码 %1</translation>
        </message>
    </context>
</TS>
