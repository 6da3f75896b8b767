<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="de" sourcelanguage="en">
    <context>
        <name>BrowserLauncher</name>
        <message>
            <location filename="../ui/dialogs/browser_launcher.cpp" line="59" />
            <source>%1 did not finish</source>
            <translation>%1 wurde nicht rechtzeitig beendet</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/browser_launcher.cpp" line="63" />
            <source>%1 failed (exit code %2): %3</source>
            <translation>%1 fehlgeschlagen (Exit-Code %2): %3</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/browser_launcher.cpp" line="147" />
            <source>could not start %1: %2</source>
            <translation>%1 konnte nicht gestartet werden: %2</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/browser_launcher.cpp" line="197" />
            <source>cannot create a profile directory: %1</source>
            <translation>Profilverzeichnis kann nicht angelegt werden: %1</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/browser_launcher.cpp" line="202" />
            <source>cannot create %1/.pki/nssdb</source>
            <translation>%1/.pki/nssdb kann nicht angelegt werden</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/browser_launcher.cpp" line="206" />
            <source>cannot write %1</source>
            <translation>%1 kann nicht geschrieben werden</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/browser_launcher.cpp" line="322" />
            <source>Could not launch %1: %2</source>
            <translation>%1 konnte nicht gestartet werden: %2</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/browser_launcher.cpp" line="324" />
            <source>%1 started with the profile %2, through %3</source>
            <translation>%1 mit dem Profil %2 gestartet, über %3</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/browser_launcher.cpp" line="358" />
            <source>%1 or certutil is not installed</source>
            <translation>%1 oder certutil ist nicht installiert</translation>
        </message>
    </context>
    <context>
        <name>Settings</name>
        <message>
            <location filename="../ui/dialogs/settings.cpp" line="20" />
            <source>A port is a whole number from 1 to 65535.</source>
            <translation>Ein Port ist eine ganze Zahl von 1 bis 65535.</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings.cpp" line="27" />
            <source>Enter a whole number from %1 to %2.</source>
            <translation>Geben Sie eine ganze Zahl von %1 bis %2 ein.</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings.cpp" line="37" />
            <source>'re:' needs a regular expression after it.</source>
            <translation>Auf 're:' muss ein regulärer Ausdruck folgen.</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings.cpp" line="43" />
            <source>Not a valid regular expression: %1</source>
            <translation>Kein gültiger regulärer Ausdruck: %1</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings.cpp" line="50" />
            <source>'%1' looks like a URL; write the host only, like *.example.com.</source>
            <translation>'%1' sieht wie eine URL aus; geben Sie nur den Host an, etwa *.example.com.</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings.cpp" line="57" />
            <source>'%1' is not a host glob: use letters, digits, '-', '.', '*' and '?' (or re:REGEX).</source>
            <translation>'%1' ist kein Host-Muster: erlaubt sind Buchstaben, Ziffern, '-', '.', '*' und '?' (oder re:REGEX).</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings.cpp" line="69" />
            <source>Enter a proxy URL, like http://127.0.0.1:3128.</source>
            <translation>Geben Sie eine Proxy-URL ein, etwa http://127.0.0.1:3128.</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings.cpp" line="83" />
            <source>'%1' is not a rule: write HOST GLOBS = CHAIN, like *.corp.example = http://proxy:3128 or 10.* = direct.</source>
            <translation>'%1' ist keine Regel: schreiben Sie HOST-MUSTER = KETTE, etwa *.corp.example = http://proxy:3128 oder 10.* = direct.</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings.cpp" line="160" />
            <source>Enter an address to listen on, like 127.0.0.1.</source>
            <translation>Geben Sie die Adresse an, auf der gelauscht werden soll, etwa 127.0.0.1.</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings.cpp" line="163" />
            <source>'%1' is not an IP address (127.0.0.1, ::1, 0.0.0.0 ...).</source>
            <translation>'%1' ist keine IP-Adresse (127.0.0.1, ::1, 0.0.0.0 ...).</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings.cpp" line="169" />
            <source>The HTTP listener already uses port %1.</source>
            <translation>Port %1 wird bereits vom HTTP-Listener verwendet.</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings.cpp" line="178" />
            <source>Line %1: %2</source>
            <translation>Zeile %1: %2</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings.cpp" line="186" />
            <source>One body cannot keep more than the memory budget (%1 KiB).</source>
            <translation>Ein einzelner Body kann nicht mehr als das Speicherbudget (%1 KiB) belegen.</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings.cpp" line="190" />
            <source>Choose system, light or dark.</source>
            <translation>Wählen Sie System, Hell oder Dunkel.</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings.cpp" line="195" />
            <source>Hop %1: %2</source>
            <translation>Hop %1: %2</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings.cpp" line="199" />
            <source>A chain has at most %1 hops.</source>
            <translation>Eine Kette hat höchstens %1 Hops.</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings.cpp" line="204" />
            <source>Rule %1: %2</source>
            <translation>Regel %1: %2</translation>
        </message>
    </context>
    <context>
        <name>SystemProxy</name>
        <message>
            <location filename="../ui/setup/system_proxy.cpp" line="46" />
            <source>%1 failed: %2</source>
            <translation>%1 ist fehlgeschlagen: %2</translation>
        </message>
        <message>
            <location filename="../ui/setup/system_proxy.cpp" line="48" />
            <source>exit code %1</source>
            <translation>Exit-Code %1</translation>
        </message>
        <message>
            <location filename="../ui/setup/system_proxy.cpp" line="66" />
            <source>gsettings is not installed</source>
            <translation>gsettings ist nicht installiert</translation>
        </message>
        <message>
            <location filename="../ui/setup/system_proxy.cpp" line="82" />
            <source>gsettings cannot read %1: %2</source>
            <translation>gsettings kann %1 nicht lesen: %2</translation>
        </message>
        <message>
            <location filename="../ui/setup/system_proxy.cpp" line="102" />
            <source>kwriteconfig5 and kreadconfig5 are not installed</source>
            <translation>kwriteconfig5 und kreadconfig5 sind nicht installiert</translation>
        </message>
        <message>
            <location filename="../ui/setup/system_proxy.cpp" line="118" />
            <source>%1 cannot read %2: %3</source>
            <translation>%1 kann %2 nicht lesen: %3</translation>
        </message>
        <message>
            <location filename="../ui/setup/system_proxy.cpp" line="237" />
            <source>cannot write %1 (%2), which puts the system proxy back after a crash</source>
            <translation>%1 kann nicht geschrieben werden (%2); diese Datei stellt den System-Proxy nach einem Absturz wieder her</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::BodyContent</name>
        <message>
            <location filename="../ui/detail/body_content.cpp" line="90" />
            <source>this build has no content decoders</source>
            <translation>dieser Build kann keine Inhaltskodierungen dekodieren</translation>
        </message>
        <message>
            <location filename="../ui/detail/body_content.cpp" line="144" />
            <source>decoded from %1, %2 → %3</source>
            <translation>dekodiert aus %1, %2 → %3</translation>
        </message>
        <message>
            <location filename="../ui/detail/body_content.cpp" line="152" />
            <source>first part only, %1 recorded</source>
            <translation>nur der Anfang, %1 aufgezeichnet</translation>
        </message>
        <message>
            <location filename="../ui/detail/body_content.cpp" line="156" />
            <source>not decoded: %1</source>
            <translation>nicht dekodiert: %1</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::BodyView</name>
        <message>
            <location filename="../ui/detail/body_view.cpp" line="54" />
            <source>Text</source>
            <translation>Text</translation>
        </message>
        <message>
            <location filename="../ui/detail/body_view.cpp" line="56" />
            <source>Pretty JSON</source>
            <translation>JSON formatiert</translation>
        </message>
        <message>
            <location filename="../ui/detail/body_view.cpp" line="58" />
            <source>JSON tree</source>
            <translation>JSON-Baum</translation>
        </message>
        <message>
            <location filename="../ui/detail/body_view.cpp" line="60" />
            <source>Hex</source>
            <translation>Hex</translation>
        </message>
        <message>
            <location filename="../ui/detail/body_view.cpp" line="62" />
            <source>Image</source>
            <translation>Bild</translation>
        </message>
        <message>
            <location filename="../ui/detail/body_view.cpp" line="64" />
            <source>Preview</source>
            <translation>Vorschau</translation>
        </message>
        <message numerus="yes">
            <location filename="../ui/detail/body_view.cpp" line="88" />
            <source>{%n key(s)}</source>
            <translation>
                <numerusform>{%n Schlüssel}</numerusform>
                <numerusform>{%n Schlüssel}</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <location filename="../ui/detail/body_view.cpp" line="96" />
            <source>[%n item(s)]</source>
            <translation>
                <numerusform>[%n Eintrag]</numerusform>
                <numerusform>[%n Einträge]</numerusform>
            </translation>
        </message>
        <message>
            <location filename="../ui/detail/body_view.cpp" line="122" />
            <source>Load all</source>
            <translation>Alles laden</translation>
        </message>
        <message>
            <location filename="../ui/detail/body_view.cpp" line="130" />
            <source>Wrap</source>
            <translation>Umbrechen</translation>
        </message>
        <message>
            <location filename="../ui/detail/body_view.cpp" line="149" />
            <source>Key</source>
            <translation>Schlüssel</translation>
        </message>
        <message>
            <location filename="../ui/detail/body_view.cpp" line="149" />
            <source>Value</source>
            <translation>Wert</translation>
        </message>
        <message>
            <location filename="../ui/detail/body_view.cpp" line="169" />
            <source>Wrap long lines at the pane's width</source>
            <translation>Lange Zeilen an der Breite des Bereichs umbrechen</translation>
        </message>
        <message>
            <location filename="../ui/detail/body_view.cpp" line="186" />
            <source>Find in body</source>
            <translation>Im Body suchen</translation>
        </message>
        <message>
            <location filename="../ui/detail/body_view.cpp" line="193" />
            <source>Previous match (Shift+F3)</source>
            <translation>Vorheriger Treffer (Umschalt+F3)</translation>
        </message>
        <message>
            <location filename="../ui/detail/body_view.cpp" line="196" />
            <source>Next match (F3, Enter)</source>
            <translation>Nächster Treffer (F3, Eingabe)</translation>
        </message>
        <message>
            <location filename="../ui/detail/body_view.cpp" line="199" />
            <source>Close (Esc)</source>
            <translation>Schließen (Esc)</translation>
        </message>
        <message>
            <location filename="../ui/detail/body_view.cpp" line="246" />
            <source>No body</source>
            <translation>Kein Body</translation>
        </message>
        <message>
            <location filename="../ui/detail/body_view.cpp" line="272" />
            <source>Loading…</source>
            <translation>Wird geladen…</translation>
        </message>
        <message>
            <location filename="../ui/detail/body_view.cpp" line="336" />
            <source>Cannot show this image: %1</source>
            <translation>Das Bild kann nicht angezeigt werden: %1</translation>
        </message>
        <message>
            <location filename="../ui/detail/body_view.cpp" line="340" />
            <source>%1 image, %2×%3</source>
            <translation>%1-Bild, %2×%3</translation>
        </message>
        <message>
            <location filename="../ui/detail/body_view.cpp" line="440" />
            <source>Not valid JSON: %1 at %2</source>
            <translation>Kein gültiges JSON: %1 bei %2</translation>
        </message>
        <message>
            <location filename="../ui/detail/body_view.cpp" line="445" />
            <source>array</source>
            <translation>Array</translation>
        </message>
        <message>
            <location filename="../ui/detail/body_view.cpp" line="445" />
            <source>object</source>
            <translation>Objekt</translation>
        </message>
        <message>
            <location filename="../ui/detail/body_view.cpp" line="449" />
            <source>… (only the first %1 items are shown)</source>
            <translation>… (nur die ersten %1 Einträge werden gezeigt)</translation>
        </message>
        <message>
            <location filename="../ui/detail/body_view.cpp" line="587" />
            <source>No match</source>
            <translation>Kein Treffer</translation>
        </message>
        <message>
            <location filename="../ui/detail/body_view.cpp" line="589" />
            <source>%1 of %2</source>
            <translation>%1 von %2</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::CaDialog</name>
        <message>
            <location filename="../ui/dialogs/ca_dialog.cpp" line="48" />
            <source>Certificate authority</source>
            <translation>Zertifizierungsstelle</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/ca_dialog.cpp" line="53" />
            <source>Tunnelscope decrypts TLS with certificates it signs with this CA. A client must trust the CA's certificate, or it rejects them. The private key never leaves %1.</source>
            <translation>Tunnelscope entschlüsselt TLS mit Zertifikaten, die es mit dieser CA signiert. Ein Client muss dem Zertifikat der CA vertrauen, sonst lehnt er diese Zertifikate ab. Der private Schlüssel verlässt %1 nie.</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/ca_dialog.cpp" line="61" />
            <source>Subject:</source>
            <translation>Inhaber:</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/ca_dialog.cpp" line="62" />
            <source>Valid from:</source>
            <translation>Gültig ab:</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/ca_dialog.cpp" line="63" />
            <source>Valid until:</source>
            <translation>Gültig bis:</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/ca_dialog.cpp" line="64" />
            <source>Key:</source>
            <translation>Schlüssel:</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/ca_dialog.cpp" line="69" />
            <source>SHA-256:</source>
            <translation>SHA-256:</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/ca_dialog.cpp" line="71" />
            <source>Export &amp;PEM…</source>
            <translation>&amp;PEM exportieren…</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/ca_dialog.cpp" line="73" />
            <source>For Firefox, Chromium, curl --cacert and update-ca-certificates</source>
            <translation>Für Firefox, Chromium, curl --cacert und update-ca-certificates</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/ca_dialog.cpp" line="74" />
            <source>Export &amp;DER…</source>
            <translation>&amp;DER exportieren…</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/ca_dialog.cpp" line="76" />
            <source>For Android, Windows and Java key stores</source>
            <translation>Für die Schlüsselspeicher von Android, Windows und Java</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/ca_dialog.cpp" line="77" />
            <source>&amp;Launch Chromium through Tunnelscope</source>
            <translation>&amp;Chromium über Tunnelscope starten</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/ca_dialog.cpp" line="79" />
            <source>A new Chromium profile that trusts this CA and uses the proxy; your own profile is not touched</source>
            <translation>Ein neues Chromium-Profil, das dieser CA vertraut und den Proxy verwendet; Ihr eigenes Profil bleibt unberührt</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/ca_dialog.cpp" line="84" />
            <source>&amp;Open Folder</source>
            <translation>&amp;Ordner öffnen</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/ca_dialog.cpp" line="86" />
            <source>The folder with ca.pem, in the file manager</source>
            <translation>Der Ordner mit ca.pem, im Dateimanager</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/ca_dialog.cpp" line="90" />
            <source>No file manager opened %1</source>
            <translation>Kein Dateimanager hat %1 geöffnet</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/ca_dialog.cpp" line="137" />
            <source>Cannot write %1: %2</source>
            <translation>%1 kann nicht geschrieben werden: %2</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/ca_dialog.cpp" line="149" />
            <source>Export the CA certificate (PEM)</source>
            <translation>CA-Zertifikat exportieren (PEM)</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/ca_dialog.cpp" line="149" />
            <source>Export the CA certificate (DER)</source>
            <translation>CA-Zertifikat exportieren (DER)</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/ca_dialog.cpp" line="150" />
            <source>PEM certificate (*.pem *.crt)</source>
            <translation>PEM-Zertifikat (*.pem *.crt)</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/ca_dialog.cpp" line="150" />
            <source>DER certificate (*.der *.cer)</source>
            <translation>DER-Zertifikat (*.der *.cer)</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/ca_dialog.cpp" line="156" />
            <source>Wrote %1</source>
            <translation>%1 gespeichert</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/ca_dialog.cpp" line="82" />
            <source>Launch &amp;Firefox through Tunnelscope</source>
            <translation>&amp;Firefox über Tunnelscope starten</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/ca_dialog.cpp" line="84" />
            <source>A new Firefox profile that trusts this CA and uses the proxy; your own profile is not touched</source>
            <translation>Ein neues Firefox-Profil, das dieser CA vertraut und den Proxy verwendet; Ihr eigenes Profil bleibt unberührt</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::CarriedFlowsModel</name>
        <message>
            <location filename="../ui/panes/carried_flows_model.cpp" line="138" />
            <source>#</source>
            <translation>Nr.</translation>
        </message>
        <message>
            <location filename="../ui/panes/carried_flows_model.cpp" line="140" />
            <source>Method</source>
            <translation>Methode</translation>
        </message>
        <message>
            <location filename="../ui/panes/carried_flows_model.cpp" line="142" />
            <source>URL</source>
            <translation>URL</translation>
        </message>
        <message>
            <location filename="../ui/panes/carried_flows_model.cpp" line="144" />
            <source>Protocol</source>
            <translation>Protokoll</translation>
        </message>
        <message>
            <location filename="../ui/panes/carried_flows_model.cpp" line="146" />
            <source>Status</source>
            <translation>Status</translation>
        </message>
        <message>
            <location filename="../ui/panes/carried_flows_model.cpp" line="148" />
            <source>Size</source>
            <translation>Größe</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::ClientSetupDialog</name>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="52" />
            <source>Copy</source>
            <translation>Kopieren</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="67" />
            <source>Set up a client</source>
            <translation>Client einrichten</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="89" />
            <source>&amp;Terminal</source>
            <translation>&amp;Terminal</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="90" />
            <source>S&amp;ystem proxy</source>
            <translation>S&amp;ystem-Proxy</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="92" />
            <source>System &amp;CA store</source>
            <translation>&amp;CA-Speicher des Systems</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="149" />
            <source>Paste these lines into a shell: curl, wget, git, pip, npm, Python and Node then go through the proxy and trust its CA. The bundle is the system's roots plus the CA, so hosts that are passed through still verify.</source>
            <translation>Fügen Sie diese Zeilen in eine Shell ein: curl, wget, git, pip, npm, Python und Node gehen dann über den Proxy und vertrauen seiner CA. Das Bündel enthält die Stammzertifikate des Systems und die CA, sodass durchgereichte Hosts weiterhin geprüft werden.</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="152" />
            <source>Paste these lines into a shell: curl, wget, git, pip, npm, Python and Node then go through the proxy.</source>
            <translation>Fügen Sie diese Zeilen in eine Shell ein: curl, wget, git, pip, npm, Python und Node gehen dann über den Proxy.</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="159" />
            <source>Open a &amp;new terminal with these set</source>
            <translation>&amp;Neues Terminal mit diesen Variablen öffnen</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="166" />
            <source>No terminal program was found (x-terminal-emulator, gnome-terminal, konsole, xterm…).</source>
            <translation>Kein Terminalprogramm gefunden (x-terminal-emulator, gnome-terminal, konsole, xterm…).</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="181" />
            <source>No terminal could be started.</source>
            <translation>Es konnte kein Terminal gestartet werden.</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="183" />
            <source>Started %1 with the proxy variables set.</source>
            <translation>%1 mit gesetzten Proxy-Variablen gestartet.</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="197" />
            <source>Use Tunnelscope as the &amp;GNOME proxy (gsettings)</source>
            <translation>Tunnelscope als &amp;GNOME-Proxy verwenden (gsettings)</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="205" />
            <source>Use Tunnelscope as the &amp;KDE proxy (kioslaverc)</source>
            <translation>Tunnelscope als &amp;KDE-Proxy verwenden (kioslaverc)</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="213" />
            <source>Neither gsettings (GNOME) nor kwriteconfig5 (KDE) is installed, so there is no desktop proxy setting to change.</source>
            <translation>Weder gsettings (GNOME) noch kwriteconfig5 (KDE) ist installiert; es gibt keine Proxy-Einstellung des Desktops, die sich ändern ließe.</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="217" />
            <source>Clients that take an automatic proxy configuration (PAC) URL can use this one; --pac-rules chooses which hosts it sends through Tunnelscope:</source>
            <translation>Clients, die eine URL zur automatischen Proxy-Konfiguration (PAC) annehmen, können diese verwenden; --pac-rules legt fest, welche Hosts darüber zu Tunnelscope gehen:</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="238" />
            <source>The system proxy is now %1.</source>
            <translation>Der System-Proxy ist jetzt %1.</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="239" />
            <source>The system proxy setting is back as it was.</source>
            <translation>Die Proxy-Einstellung des Systems ist wieder wie zuvor.</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="247" />
            <source>To make every program on this computer that uses the system's trust store (OpenSSL, GnuTLS, curl, wget, most command-line tools) trust the CA, run these in a terminal. They need root, and the whole system then trusts certificates Tunnelscope signs: do it only on a machine you debug with.</source>
            <translation>Damit jedes Programm auf diesem Rechner, das den Zertifikatsspeicher des Systems verwendet (OpenSSL, GnuTLS, curl, wget, die meisten Kommandozeilenwerkzeuge), der CA vertraut, führen Sie diese Befehle in einem Terminal aus. Sie brauchen Root-Rechte, und das ganze System vertraut dann den Zertifikaten, die Tunnelscope signiert: Tun Sie das nur auf einem Rechner, mit dem Sie debuggen.</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="258" />
            <source>To remove it again:</source>
            <translation>So entfernen Sie sie wieder:</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="97" />
            <source>&amp;Phone or other device</source>
            <translation>Tele&amp;fon oder anderes Gerät</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="99" />
            <source>&amp;Browser</source>
            <translation>&amp;Browser</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="197" />
            <source>Applications that follow the desktop's proxy setting (GNOME and KDE applications, Chromium) then go through Tunnelscope. The previous setting comes back when you turn it off or quit Tunnelscope, and at the next start should Tunnelscope stop unexpectedly.</source>
            <translation>Anwendungen, die der Proxy-Einstellung des Desktops folgen (GNOME- und KDE-Anwendungen, Chromium), gehen dann über Tunnelscope. Die vorherige Einstellung kommt zurück, wenn Sie dies ausschalten oder Tunnelscope beenden, und beim nächsten Start, falls Tunnelscope unerwartet endet.</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="272" />
            <source>Browsers keep their own store: Chromium and Firefox do not read this one. Help &gt; Certificate authority and browser starts a Chromium or Firefox that trusts the CA.</source>
            <translation>Browser haben einen eigenen Speicher: Chromium und Firefox lesen diesen nicht. Hilfe &gt; Zertifizierungsstelle und Browser startet ein Chromium oder Firefox, das der CA vertraut.</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="294" />
            <source>Tunnelscope listens on %1 only, which other devices cannot reach. To use it from a phone or another computer on your network, choose one of this computer's addresses under Edit &gt; Preferences &gt; Listen on (or start Tunnelscope with --listen ADDRESS:%2), then come back here. Anyone who can reach that address can then use the proxy: do it only on a network you trust.</source>
            <translation>Tunnelscope lauscht nur auf %1, das andere Geräte nicht erreichen. Um es von einem Telefon oder einem anderen Rechner in Ihrem Netz zu verwenden, wählen Sie unter Bearbeiten &gt; Einstellungen &gt; Lauschen auf eine der Adressen dieses Rechners (oder starten Sie Tunnelscope mit --listen ADRESSE:%2) und kommen Sie dann hierher zurück. Jeder, der diese Adresse erreicht, kann den Proxy dann verwenden: Tun Sie das nur in einem Netz, dem Sie vertrauen.</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="303" />
            <source>This computer has no network address other than loopback right now.</source>
            <translation>Dieser Rechner hat zurzeit keine Netzwerkadresse außer Loopback.</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="305" />
            <source>This computer's addresses:</source>
            <translation>Die Adressen dieses Rechners:</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="314" />
            <source>Tunnelscope listens on all addresses, but this computer has no network address other than loopback right now.</source>
            <translation>Tunnelscope lauscht auf allen Adressen, aber dieser Rechner hat zurzeit keine Netzwerkadresse außer Loopback.</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="323" />
            <source>On the phone, in the settings of the Wi-Fi network it shares with this computer, set the proxy to Manual with server %1 and port %2, or to Automatic with this URL:</source>
            <translation>Stellen Sie auf dem Telefon in den Einstellungen des WLANs, das es mit diesem Rechner teilt, den Proxy auf Manuell mit Server %1 und Port %2 ein, oder auf Automatisch mit dieser URL:</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="333" />
            <source>Then open %1 in the phone's browser (the QR code opens it) and download the CA certificate. Android: Settings &gt; Security &gt; Encryption &amp; credentials &gt; Install a certificate &gt; CA certificate; browsers then trust it, other apps only if they opt in to user CAs. iPhone and iPad: open it in Safari, install the profile under Settings &gt; General &gt; VPN &amp; Device Management, then turn on full trust under Settings &gt; General &gt; About &gt; Certificate Trust Settings.</source>
            <translation>Öffnen Sie dann %1 im Browser des Telefons (der QR-Code öffnet die Seite) und laden Sie das CA-Zertifikat herunter. Android: Einstellungen &gt; Sicherheit &gt; Verschlüsselung und Anmeldedaten &gt; Zertifikat installieren &gt; CA-Zertifikat; Browser vertrauen ihm dann, andere Apps nur, wenn sie Nutzer-CAs zulassen. iPhone und iPad: in Safari öffnen, das Profil unter Einstellungen &gt; Allgemein &gt; VPN und Geräteverwaltung installieren und dann unter Einstellungen &gt; Allgemein &gt; Info &gt; Zertifikatsvertrauenseinstellungen volles Vertrauen einschalten.</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="343" />
            <source>Devices that look for a proxy on their own (WPAD) find it when the network's DHCP server sends option 252 with %1. Remove the CA from the phone when you are done.</source>
            <translation>Geräte, die selbst nach einem Proxy suchen (WPAD), finden ihn, wenn der DHCP-Server des Netzes Option 252 mit %1 sendet. Entfernen Sie die CA vom Telefon, wenn Sie fertig sind.</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="349" />
            <source>This computer has more addresses; use the one on the phone's network: %1</source>
            <translation>Dieser Rechner hat weitere Adressen; verwenden Sie die im Netz des Telefons: %1</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="374" />
            <source>A new browser window with a throw-away profile that goes through the proxy, localhost included, and trusts the CA. Your own browser and its profile are not touched.</source>
            <translation>Ein neues Browserfenster mit einem Wegwerfprofil, das über den Proxy geht, localhost eingeschlossen, und der CA vertraut. Ihr eigener Browser und sein Profil bleiben unberührt.</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="391" />
            <source>Launch &amp;Firefox</source>
            <translation>F&amp;irefox starten</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="391" />
            <source>Launch C&amp;hromium</source>
            <translation>C&amp;hromium starten</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="399" />
            <source>Neither Firefox nor Chromium can be started from here: it needs firefox or firefox-esr, or chromium, and certutil (package libnss3-tools).</source>
            <translation>Weder Firefox noch Chromium kann von hier gestartet werden: Dazu braucht es firefox oder firefox-esr, oder chromium, und certutil (Paket libnss3-tools).</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="415" />
            <source>could not start %1</source>
            <translation>%1 konnte nicht gestartet werden</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="419" />
            <source>%1 failed: %2</source>
            <translation>%1 ist fehlgeschlagen: %2</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="420" />
            <source>exit code %1</source>
            <translation>Exit-Code %1</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::CompareDialog</name>
        <message>
            <location filename="../ui/dialogs/compare_dialog.cpp" line="47" />
            <source>(binary body, %1)</source>
            <translation>(binärer Body, %1)</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/compare_dialog.cpp" line="75" />
            <source>No response: %1</source>
            <translation>Keine Antwort: %1</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/compare_dialog.cpp" line="113" />
            <source>Compare Flows %1 and %2</source>
            <translation>Flows %1 und %2 vergleichen</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/compare_dialog.cpp" line="164" />
            <location filename="../ui/dialogs/compare_dialog.cpp" line="167" />
            <source>Flow %1: %2</source>
            <translation>Flow %1: %2</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/compare_dialog.cpp" line="182" />
            <source>The two flows read the same.</source>
            <translation>Die beiden Flows lesen sich gleich.</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/compare_dialog.cpp" line="183" />
            <source>%1 lines differ (highlighted).</source>
            <translation>%1 Zeilen unterscheiden sich (hervorgehoben).</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::ComposerPane</name>
        <message>
            <location filename="../ui/composer/composer_dock.cpp" line="15" />
            <source>Composer</source>
            <translation>Composer</translation>
        </message>
        <message numerus="yes">
            <location filename="../ui/composer/composer_pane.cpp" line="89" />
            <source>Sent %n request(s): </source>
            <translation>
                <numerusform>%n Anfrage gesendet: </numerusform>
                <numerusform>%n Anfragen gesendet: </numerusform>
            </translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="90" />
            <source>%1 answered, %2 failed</source>
            <translation>%1 beantwortet, %2 fehlgeschlagen</translation>
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
            <translation>Senden</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="135" />
            <source>× </source>
            <translation>× </translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="140" />
            <source>at once: </source>
            <translation>gleichzeitig: </translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="141" />
            <source>Send N times</source>
            <translation>N-mal senden</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="154" />
            <location filename="../ui/composer/composer_pane.cpp" line="274" />
            <source>Name</source>
            <translation>Name</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="154" />
            <location filename="../ui/composer/composer_pane.cpp" line="213" />
            <location filename="../ui/composer/composer_pane.cpp" line="274" />
            <source>Value</source>
            <translation>Wert</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="159" />
            <source>Add</source>
            <translation>Hinzufügen</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="161" />
            <source>Remove</source>
            <translation>Entfernen</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="191" />
            <source>No body</source>
            <translation>Kein Body</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="191" />
            <source>Text</source>
            <translation>Text</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="191" />
            <source>File</source>
            <translation>Datei</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="191" />
            <source>Form (url-encoded)</source>
            <translation>Formular (URL-kodiert)</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="200" />
            <source>Choose…</source>
            <translation>Auswählen…</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="202" />
            <source>Body from a file</source>
            <translation>Body aus einer Datei</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="213" />
            <source>Key</source>
            <translation>Schlüssel</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="227" />
            <source>Direct (no upstream proxy)</source>
            <translation>Direkt (kein Upstream-Proxy)</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="229" />
            <source>The proxy's own upstream rules</source>
            <translation>Die Upstream-Regeln des Proxys</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="231" />
            <source>Through these hops, first hop first:</source>
            <translation>Über diese Hops, den ersten zuerst:</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="239" />
            <source>http://127.0.0.1:3128
socks5h://user:password@10.0.0.2:1080</source>
            <translation>http://127.0.0.1:3128
socks5h://benutzer:passwort@10.0.0.2:1080</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="241" />
            <source>Verify origin certificates</source>
            <translation>Zertifikate der Ursprungsserver prüfen</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="255" />
            <location filename="../ui/composer/composer_pane.cpp" line="283" />
            <source>Headers</source>
            <translation>Header</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="256" />
            <location filename="../ui/composer/composer_pane.cpp" line="282" />
            <source>Body</source>
            <translation>Body</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="257" />
            <source>Chain</source>
            <translation>Kette</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="266" />
            <location filename="../ui/composer/composer_pane.cpp" line="410" />
            <source>Nothing sent yet.</source>
            <translation>Noch nichts gesendet.</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="304" />
            <source>History</source>
            <translation>Verlauf</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="359" />
            <source>Cannot read the body file %1: %2</source>
            <translation>Die Body-Datei %1 kann nicht gelesen werden: %2</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="494" />
            <source>Chain: %1</source>
            <translation>Kette: %1</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="500" />
            <source>Chain: at most %1 hops</source>
            <translation>Kette: höchstens %1 Hops</translation>
        </message>
        <message numerus="yes">
            <location filename="../ui/composer/composer_pane.cpp" line="557" />
            <source>Sending %n request(s)…</source>
            <translation>
                <numerusform>%n Anfrage wird gesendet…</numerusform>
                <numerusform>%n Anfragen werden gesendet…</numerusform>
            </translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="557" />
            <source>Sending…</source>
            <translation>Wird gesendet…</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="594" />
            <source>No response: %1</source>
            <translation>Keine Antwort: %1</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="600" />
            <source>from the proxy: %1</source>
            <translation>vom Proxy: %1</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="616" />
            <source>connect %1 · sent %2 · first byte %3 · complete %4</source>
            <translation>verbunden %1 · gesendet %2 · erstes Byte %3 · fertig %4</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="653" />
            <source>failed</source>
            <translation>fehlgeschlagen</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::ConnectionModel</name>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="39" />
            <source>Version: %1</source>
            <translation>Version: %1</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="41" />
            <source>Cipher: %1</source>
            <translation>Cipher: %1</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="43" />
            <source>SNI: %1</source>
            <translation>SNI: %1</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="48" />
            <source>ALPN offered: %1</source>
            <translation>ALPN angeboten: %1</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="51" />
            <source>ALPN chosen: %1</source>
            <translation>ALPN gewählt: %1</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="53" />
            <source>Handshake: %1 ms</source>
            <translation>Handshake: %1 ms</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="56" />
            <source>Certificate: %1</source>
            <translation>Zertifikat: %1</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="58" />
            <source>Not verified: %1</source>
            <translation>Nicht geprüft: %1</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="60" />
            <source>Handshake failed: %1</source>
            <translation>Handshake fehlgeschlagen: %1</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="157" />
            <source>failed</source>
            <translation>fehlgeschlagen</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="166" />
            <source>%1 ms</source>
            <translation>%1 ms</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="168" />
            <source>%1 s</source>
            <translation>%1 s</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="171" />
            <source>%1 min %2 s</source>
            <translation>%1 min %2 s</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="172" />
            <source>%1 h %2 min</source>
            <translation>%1 h %2 min</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="191" />
            <source>%1 on listener %2</source>
            <translation>%1 an Listener %2</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="193" />
            <source>%1 (%2) from %3, opened by client connection %4</source>
            <translation>%1 (%2) von %3, geöffnet durch Client-Verbindung %4</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="220" />
            <source>client</source>
            <translation>Client</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="220" />
            <source>server</source>
            <translation>Server</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="228" />
            <source>%1 (%2)</source>
            <translation>%1 (%2)</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="241" />
            <source>%1, open</source>
            <translation>%1, offen</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="277" />
            <source>#</source>
            <translation>Nr.</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="279" />
            <source>Side</source>
            <translation>Seite</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="281" />
            <source>Protocol</source>
            <translation>Protokoll</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="283" />
            <source>Peer</source>
            <translation>Gegenstelle</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="285" />
            <source>TLS</source>
            <translation>TLS</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="287" />
            <source>Streams</source>
            <translation>Streams</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="289" />
            <source>Flows</source>
            <translation>Flows</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="291" />
            <source>In</source>
            <translation>Eingehend</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="293" />
            <source>Out</source>
            <translation>Ausgehend</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="295" />
            <source>Lifetime</source>
            <translation>Lebensdauer</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="297" />
            <source>Close reason</source>
            <translation>Schließgrund</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="306" />
            <source>Client side: a client connected to the proxy. Server side: the proxy connected to an origin or the next proxy.</source>
            <translation>Client-Seite: Ein Client hat sich mit dem Proxy verbunden. Server-Seite: Der Proxy hat sich mit einem Ursprungsserver oder dem nächsten Proxy verbunden.</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="309" />
            <source>Client side: the client's address. Server side: the target and the address connected to.</source>
            <translation>Client-Seite: die Adresse des Clients. Server-Seite: das Ziel und die Adresse, mit der verbunden wurde.</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="312" />
            <source>Version · ALPN · SNI</source>
            <translation>Version · ALPN · SNI</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="314" />
            <source>Bytes received from the peer</source>
            <translation>Von der Gegenstelle empfangene Bytes</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="316" />
            <source>Bytes sent to the peer</source>
            <translation>An die Gegenstelle gesendete Bytes</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::ConnectionsPane</name>
        <message>
            <location filename="../ui/panes/connections_pane.cpp" line="40" />
            <source>Both sides</source>
            <translation>Beide Seiten</translation>
        </message>
        <message>
            <location filename="../ui/panes/connections_pane.cpp" line="41" />
            <source>Client side</source>
            <translation>Client-Seite</translation>
        </message>
        <message>
            <location filename="../ui/panes/connections_pane.cpp" line="42" />
            <source>Server side</source>
            <translation>Server-Seite</translation>
        </message>
        <message>
            <location filename="../ui/panes/connections_pane.cpp" line="48" />
            <source>&amp;Show:</source>
            <translation>An&amp;zeigen:</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::CurlCommand</name>
        <message>
            <location filename="../ui/detail/curl_command.cpp" line="148" />
            <source>The request body was not recorded in full; the command reads it from body.bin</source>
            <translation>Der Request-Body wurde nicht vollständig aufgezeichnet; der Befehl liest ihn aus body.bin</translation>
        </message>
        <message>
            <location filename="../ui/detail/curl_command.cpp" line="152" />
            <source>The request body (%1 bytes) does not fit a command line; save it as body.bin next to where the command runs</source>
            <translation>Der Request-Body (%1 Bytes) passt nicht in eine Befehlszeile; speichern Sie ihn als body.bin dort, wo der Befehl läuft</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::ErrorText</name>
        <message>
            <location filename="../ui/error_text.cpp" line="12" />
            <source>Tunnelscope cannot listen on that address and port.</source>
            <translation>Tunnelscope kann auf dieser Adresse und diesem Port nicht lauschen.</translation>
        </message>
        <message>
            <location filename="../ui/error_text.cpp" line="15" />
            <source>The address to listen on is not an IP address.</source>
            <translation>Die Adresse zum Lauschen ist keine IP-Adresse.</translation>
        </message>
        <message>
            <location filename="../ui/error_text.cpp" line="19" />
            <source>Tunnelscope cannot load or create its certificate authority, the CA it intercepts HTTPS with.</source>
            <translation>Tunnelscope kann seine Zertifizierungsstelle, die CA, mit der es HTTPS abfängt, weder laden noch anlegen.</translation>
        </message>
        <message>
            <location filename="../ui/error_text.cpp" line="23" />
            <source>A file of the certificate authority cannot be read or written.</source>
            <translation>Eine Datei der Zertifizierungsstelle kann nicht gelesen oder geschrieben werden.</translation>
        </message>
        <message>
            <location filename="../ui/error_text.cpp" line="23" />
            <source>A file of the certificate authority is damaged.</source>
            <translation>Eine Datei der Zertifizierungsstelle ist beschädigt.</translation>
        </message>
        <message>
            <location filename="../ui/error_text.cpp" line="23" />
            <source>A file of the certificate authority is missing.</source>
            <translation>Eine Datei der Zertifizierungsstelle fehlt.</translation>
        </message>
        <message>
            <location filename="../ui/error_text.cpp" line="32" />
            <source>The CA's private key does not belong to its certificate.</source>
            <translation>Der private Schlüssel der CA gehört nicht zu ihrem Zertifikat.</translation>
        </message>
        <message>
            <location filename="../ui/error_text.cpp" line="36" />
            <source>The CA certificate has expired; tunnelscope --regenerate-ca makes a new one.</source>
            <translation>Das CA-Zertifikat ist abgelaufen; tunnelscope --regenerate-ca erstellt ein neues.</translation>
        </message>
        <message>
            <location filename="../ui/error_text.cpp" line="38" />
            <source>The filter is not valid.</source>
            <translation>Der Filter ist ungültig.</translation>
        </message>
        <message>
            <location filename="../ui/error_text.cpp" line="40" />
            <source>The file cannot be opened.</source>
            <translation>Die Datei lässt sich nicht öffnen.</translation>
        </message>
        <message>
            <location filename="../ui/error_text.cpp" line="43" />
            <source>The file is not a Tunnelscope session.</source>
            <translation>Die Datei ist keine Tunnelscope-Sitzung.</translation>
        </message>
        <message>
            <location filename="../ui/error_text.cpp" line="46" />
            <source>The session was saved by a newer Tunnelscope.</source>
            <translation>Die Sitzung wurde von einer neueren Tunnelscope-Version gespeichert.</translation>
        </message>
        <message>
            <location filename="../ui/error_text.cpp" line="48" />
            <source>The file cannot be written.</source>
            <translation>Die Datei lässt sich nicht schreiben.</translation>
        </message>
        <message>
            <location filename="../ui/error_text.cpp" line="51" />
            <source>The file is not a HAR file Tunnelscope can read.</source>
            <translation>Die Datei ist keine HAR-Datei, die Tunnelscope lesen kann.</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::FlowDetailPane</name>
        <message>
            <location filename="../ui/detail/flow_detail_pane.cpp" line="33" />
            <source>Request</source>
            <translation>Anfrage</translation>
        </message>
        <message>
            <location filename="../ui/detail/flow_detail_pane.cpp" line="34" />
            <source>Response</source>
            <translation>Antwort</translation>
        </message>
        <message>
            <location filename="../ui/detail/flow_detail_pane.cpp" line="38" />
            <source>Timing</source>
            <translation>Zeiten</translation>
        </message>
        <message>
            <location filename="../ui/detail/flow_detail_pane.cpp" line="39" />
            <source>TLS</source>
            <translation>TLS</translation>
        </message>
        <message>
            <location filename="../ui/detail/flow_detail_pane.cpp" line="83" />
            <source>Select a flow to see it here.</source>
            <translation>Wählen Sie einen Flow aus, um ihn hier zu sehen.</translation>
        </message>
        <message>
            <location filename="../ui/detail/flow_detail_pane.cpp" line="1" />
            <source>Messages</source>
            <translation>Nachrichten</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::FlowMarks</name>
        <message>
            <location filename="../ui/models/flow_marks.cpp" line="16" />
            <source>None</source>
            <translation>Keine</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_marks.cpp" line="18" />
            <source>Red</source>
            <translation>Rot</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_marks.cpp" line="20" />
            <source>Orange</source>
            <translation>Orange</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_marks.cpp" line="22" />
            <source>Yellow</source>
            <translation>Gelb</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_marks.cpp" line="24" />
            <source>Green</source>
            <translation>Grün</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_marks.cpp" line="26" />
            <source>Blue</source>
            <translation>Blau</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_marks.cpp" line="28" />
            <source>Purple</source>
            <translation>Lila</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_marks.cpp" line="30" />
            <source>Gray</source>
            <translation>Grau</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::FlowMarksActions</name>
        <message>
            <location filename="../ui/widgets/flow_marks_actions.cpp" line="26" />
            <source>&amp;Pin</source>
            <translation>An&amp;heften</translation>
        </message>
        <message>
            <location filename="../ui/widgets/flow_marks_actions.cpp" line="30" />
            <source>Pin the selected flows (the filter's pinned finds them)</source>
            <translation>Die ausgewählten Flows anheften (der Filter findet sie mit pinned)</translation>
        </message>
        <message>
            <location filename="../ui/widgets/flow_marks_actions.cpp" line="34" />
            <source>&amp;Highlight</source>
            <translation>&amp;Farbe</translation>
        </message>
        <message>
            <location filename="../ui/widgets/flow_marks_actions.cpp" line="38" />
            <source>Tint the selected rows (the filter's color:red finds them)</source>
            <translation>Die ausgewählten Zeilen einfärben (der Filter findet sie mit color:red)</translation>
        </message>
        <message>
            <location filename="../ui/widgets/flow_marks_actions.cpp" line="57" />
            <source>Comme&amp;nt…</source>
            <translation>&amp;Kommentar…</translation>
        </message>
        <message>
            <location filename="../ui/widgets/flow_marks_actions.cpp" line="60" />
            <source>Write a comment on the selected flows (the filter's comment:text)</source>
            <translation>Einen Kommentar zu den ausgewählten Flows schreiben (im Filter: comment:Text)</translation>
        </message>
        <message>
            <location filename="../ui/widgets/flow_marks_actions.cpp" line="66" />
            <source>Comment</source>
            <translation>Kommentar</translation>
        </message>
        <message>
            <location filename="../ui/widgets/flow_marks_actions.cpp" line="67" />
            <source>Your comment on the selected flows. It is saved with the session and in HAR exports; it is not sent anywhere.</source>
            <translation>Ihr Kommentar zu den ausgewählten Flows. Er wird mit der Sitzung und in HAR-Exporten gespeichert und nirgendwohin gesendet.</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::FlowTableModel</name>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="713" />
            <source>Server certificate not verified: %1</source>
            <translation>Serverzertifikat nicht geprüft: %1</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="796" />
            <source>intercepted</source>
            <translation>entschlüsselt</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="796" />
            <source>intercepted, %1</source>
            <translation>entschlüsselt, %1</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="798" />
            <source>handshake failed</source>
            <translation>Handshake fehlgeschlagen</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="805" />
            <source>exchange</source>
            <translation>Austausch</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="807" />
            <source>tunnel</source>
            <translation>Tunnel</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="809" />
            <source>WebSocket</source>
            <translation>WebSocket</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="825" />
            <location filename="../ui/models/flow_table_model.cpp" line="826" />
            <source>%1 ms</source>
            <translation>%1 ms</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="869" />
            <source>#</source>
            <translation>Nr.</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="871" />
            <source>Time</source>
            <translation>Zeit</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="873" />
            <source>Client</source>
            <translation>Client</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="875" />
            <source>Method</source>
            <translation>Methode</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="877" />
            <source>Scheme</source>
            <translation>Schema</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="879" />
            <source>Host</source>
            <translation>Host</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="881" />
            <source>Path</source>
            <translation>Pfad</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="883" />
            <source>Status</source>
            <translation>Status</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="885" />
            <source>Client protocol</source>
            <translation>Client-Protokoll</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="887" />
            <source>Server protocol</source>
            <translation>Server-Protokoll</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="889" />
            <source>TLS</source>
            <translation>TLS</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="891" />
            <source>Type</source>
            <translation>Typ</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="893" />
            <source>Request</source>
            <translation>Anfrage</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="895" />
            <source>Response</source>
            <translation>Antwort</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="917" />
            <source>Request body bytes; for tunnels, bytes from the client to the server</source>
            <translation>Bytes des Request-Bodys; bei Tunneln Bytes vom Client zum Server</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="919" />
            <source>Response body bytes; for tunnels, bytes from the server to the client</source>
            <translation>Bytes des Response-Bodys; bei Tunneln Bytes vom Server zum Client</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="897" />
            <source>Duration</source>
            <translation>Dauer</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="899" />
            <source>Error</source>
            <translation>Fehler</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="921" />
            <source>From the request's arrival to the end of the response</source>
            <translation>Vom Eintreffen der Anfrage bis zum Ende der Antwort</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="923" />
            <source>Client address and port</source>
            <translation>Adresse und Port des Clients</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="925" />
            <source>The HTTP version the client spoke to the proxy</source>
            <translation>Die HTTP-Version, die der Client mit dem Proxy sprach</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="927" />
            <source>The HTTP version the server answered the proxy with</source>
            <translation>Die HTTP-Version, mit der der Server dem Proxy antwortete</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="929" />
            <source>Whether the proxy decrypted the connection, and the TLS version</source>
            <translation>Ob der Proxy die Verbindung entschlüsselt hat, und die TLS-Version</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="931" />
            <source>Exchange (request and response), tunnel (CONNECT) or WebSocket</source>
            <translation>Austausch (Anfrage und Antwort), Tunnel (CONNECT) oder WebSocket</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="940" />
            <source>%1 B</source>
            <translation>%1 B</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="792" />
            <source>passed through</source>
            <translation>durchgeleitet</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="792" />
            <source>passed through, %1</source>
            <translation>durchgeleitet, %1</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="920" />
            <source>Comment</source>
            <translation>Kommentar</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="954" />
            <source>Your comment on the flow (row menu → Comment…); the filter finds it with comment:text</source>
            <translation>Ihr Kommentar zum Flow (Zeilenmenü → Kommentar…); der Filter findet ihn mit comment:Text</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::FrameModel</name>
        <message>
            <location filename="../ui/panes/frame_model.cpp" line="198" />
            <source>Received from the peer</source>
            <translation>Von der Gegenstelle empfangen</translation>
        </message>
        <message>
            <location filename="../ui/panes/frame_model.cpp" line="198" />
            <source>Sent by Tunnelscope</source>
            <translation>Von Tunnelscope gesendet</translation>
        </message>
        <message>
            <location filename="../ui/panes/frame_model.cpp" line="238" />
            <source>#</source>
            <translation>Nr.</translation>
        </message>
        <message>
            <location filename="../ui/panes/frame_model.cpp" line="240" />
            <source>Time (s)</source>
            <translation>Zeit (s)</translation>
        </message>
        <message>
            <location filename="../ui/panes/frame_model.cpp" line="242" />
            <source>Dir</source>
            <translation>Richtung</translation>
        </message>
        <message>
            <location filename="../ui/panes/frame_model.cpp" line="244" />
            <source>Type</source>
            <translation>Typ</translation>
        </message>
        <message>
            <location filename="../ui/panes/frame_model.cpp" line="246" />
            <source>Flags</source>
            <translation>Flags</translation>
        </message>
        <message>
            <location filename="../ui/panes/frame_model.cpp" line="248" />
            <source>Stream</source>
            <translation>Stream</translation>
        </message>
        <message>
            <location filename="../ui/panes/frame_model.cpp" line="250" />
            <source>Length</source>
            <translation>Länge</translation>
        </message>
        <message>
            <location filename="../ui/panes/frame_model.cpp" line="252" />
            <source>Summary</source>
            <translation>Zusammenfassung</translation>
        </message>
        <message>
            <location filename="../ui/panes/frame_model.cpp" line="258" />
            <source>The frame's number on the connection, counting dropped frames</source>
            <translation>Nummer des Frames auf der Verbindung, verworfene Frames mitgezählt</translation>
        </message>
        <message>
            <location filename="../ui/panes/frame_model.cpp" line="260" />
            <source>Seconds since the connection opened</source>
            <translation>Sekunden seit dem Öffnen der Verbindung</translation>
        </message>
        <message>
            <location filename="../ui/panes/frame_model.cpp" line="262" />
            <source>← received from the peer, → sent by Tunnelscope</source>
            <translation>← von der Gegenstelle empfangen, → von Tunnelscope gesendet</translation>
        </message>
        <message>
            <location filename="../ui/panes/frame_model.cpp" line="264" />
            <source>Payload bytes</source>
            <translation>Nutzdaten in Bytes</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::FramesPane</name>
        <message>
            <location filename="../ui/panes/frames_pane.cpp" line="50" />
            <source>All types</source>
            <translation>Alle Typen</translation>
        </message>
        <message>
            <location filename="../ui/panes/frames_pane.cpp" line="61" />
            <source>all</source>
            <translation>alle</translation>
        </message>
        <message>
            <location filename="../ui/panes/frames_pane.cpp" line="65" />
            <source>Only the frames of this stream (0: the connection's own frames)</source>
            <translation>Nur die Frames dieses Streams (0: die Frames der Verbindung selbst)</translation>
        </message>
        <message>
            <location filename="../ui/panes/frames_pane.cpp" line="75" />
            <source>&amp;Type:</source>
            <translation>&amp;Typ:</translation>
        </message>
        <message>
            <location filename="../ui/panes/frames_pane.cpp" line="77" />
            <source>&amp;Stream:</source>
            <translation>&amp;Stream:</translation>
        </message>
        <message>
            <location filename="../ui/panes/frames_pane.cpp" line="171" />
            <source>Select a connection to see its frames</source>
            <translation>Wählen Sie eine Verbindung aus, um ihre Frames zu sehen</translation>
        </message>
        <message>
            <location filename="../ui/panes/frames_pane.cpp" line="173" />
            <source>Connection #%1 (%2): no frame log</source>
            <translation>Verbindung #%1 (%2): kein Frame-Protokoll</translation>
        </message>
        <message>
            <location filename="../ui/panes/frames_pane.cpp" line="181" />
            <source>Connection #%1: 1 frame</source>
            <translation>Verbindung #%1: 1 Frame</translation>
        </message>
        <message>
            <location filename="../ui/panes/frames_pane.cpp" line="182" />
            <source>Connection #%1: %L2 frames</source>
            <translation>Verbindung #%1: %L2 Frames</translation>
        </message>
        <message>
            <location filename="../ui/panes/frames_pane.cpp" line="185" />
            <source>Connection #%1: %L2 of %L3 frames</source>
            <translation>Verbindung #%1: %L2 von %L3 Frames</translation>
        </message>
        <message>
            <location filename="../ui/panes/frames_pane.cpp" line="190" />
            <source>%L1 older frames dropped; the log keeps the newest %L2</source>
            <translation>%L1 ältere Frames verworfen; das Protokoll behält die neuesten %L2</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::GraphQlView</name>
        <message>
            <location filename="../ui/detail/graphql_view.cpp" line="35" />
            <source>Variables</source>
            <translation>Variablen</translation>
        </message>
        <message>
            <location filename="../ui/detail/graphql_view.cpp" line="80" />
            <source>operation</source>
            <translation>Operation</translation>
        </message>
        <message>
            <location filename="../ui/detail/graphql_view.cpp" line="81" />
            <source>%1 (anonymous)</source>
            <translation>%1 (anonym)</translation>
        </message>
        <message>
            <location filename="../ui/detail/graphql_view.cpp" line="94" />
            <source>%1 of %2: %3</source>
            <translation>%1 von %2: %3</translation>
        </message>
        <message>
            <location filename="../ui/detail/graphql_view.cpp" line="112" />
            <source>Batch of %1 operations</source>
            <translation>Stapel aus %1 Operationen</translation>
        </message>
        <message>
            <location filename="../ui/detail/graphql_view.cpp" line="116" />
            <source>Variables: none</source>
            <translation>Variablen: keine</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::InspectorDocks</name>
        <message>
            <location filename="../ui/panes/inspector_docks.cpp" line="37" />
            <source>Tunnels</source>
            <translation>Tunnel</translation>
        </message>
        <message>
            <location filename="../ui/panes/inspector_docks.cpp" line="40" />
            <source>Connections</source>
            <translation>Verbindungen</translation>
        </message>
        <message>
            <location filename="../ui/panes/inspector_docks.cpp" line="43" />
            <source>Frames</source>
            <translation>Frames</translation>
        </message>
        <message>
            <location filename="../ui/panes/inspector_docks.cpp" line="46" />
            <source>Streams</source>
            <translation>Streams</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::MainWindow</name>
        <message>
            <location filename="../ui/main_window.cpp" line="196" />
            <location filename="../ui/main_window.cpp" line="1359" />
            <source>Tunnelscope</source>
            <translation>Tunnelscope</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="390" />
            <source>&amp;Open Session…</source>
            <translation>Sitzung ö&amp;ffnen…</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="395" />
            <source>&amp;Save Session</source>
            <translation>Sitzung &amp;speichern</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="400" />
            <source>Save Session &amp;As…</source>
            <translation>Sitzung speichern &amp;unter…</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="405" />
            <source>&amp;Import HAR…</source>
            <translation>HAR &amp;importieren…</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="435" />
            <source>&amp;Preferences…</source>
            <translation>&amp;Einstellungen…</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="442" />
            <source>&amp;Certificate authority and browser…</source>
            <translation>&amp;Zertifizierungsstelle und Browser…</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1039" />
            <location filename="../ui/main_window.cpp" line="1065" />
            <location filename="../ui/main_window.cpp" line="1073" />
            <source>Open Session</source>
            <translation>Sitzung öffnen</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1040" />
            <source>Tunnelscope session (*.tss);;HTTP Archive (*.har);;All files (*)</source>
            <translation>Tunnelscope-Sitzung (*.tss);;HTTP-Archiv (*.har);;Alle Dateien (*)</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1048" />
            <location filename="../ui/main_window.cpp" line="1104" />
            <location filename="../ui/main_window.cpp" line="1110" />
            <source>Import HAR</source>
            <translation>HAR importieren</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1066" />
            <source>%1 is neither a Tunnelscope session (.tss) nor a HAR file (.har).</source>
            <translation>%1 ist weder eine Tunnelscope-Sitzung (.tss) noch eine HAR-Datei (.har).</translation>
        </message>
        <message numerus="yes">
            <location filename="../ui/main_window.cpp" line="1096" />
            <source>Opened %1: %n flow(s)</source>
            <translation>
                <numerusform>%1 geöffnet: %n Flow</numerusform>
                <numerusform>%1 geöffnet: %n Flows</numerusform>
            </translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1105" />
            <source>Cannot read %1: %2</source>
            <translation>%1 kann nicht gelesen werden: %2</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1311" />
            <location filename="../ui/main_window.cpp" line="1334" />
            <location filename="../ui/main_window.cpp" line="1342" />
            <source>Save Session</source>
            <translation>Sitzung speichern</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1312" />
            <source>Tunnelscope session (*.tss)</source>
            <translation>Tunnelscope-Sitzung (*.tss)</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1335" />
            <source>The session could not be saved there.

%1

It was saved to %2 instead.</source>
            <translation>Die Sitzung konnte dort nicht gespeichert werden.

%1

Sie wurde stattdessen in %2 gespeichert.</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="698" />
            <source>Out of file descriptors: new connections wait</source>
            <translation>Keine Dateideskriptoren mehr frei: neue Verbindungen warten</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="699" />
            <source>The proxy holds as many files and sockets as the system allows it; new clients are accepted when some close</source>
            <translation>Der Proxy hält so viele Dateien und Sockets offen, wie das System ihm erlaubt; neue Clients werden angenommen, sobald einige geschlossen werden</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1343" />
            <source>The session was not saved.

%1</source>
            <translation>Die Sitzung wurde nicht gespeichert.

%1</translation>
        </message>
        <message numerus="yes">
            <location filename="../ui/main_window.cpp" line="1351" />
            <source>Saved %n flow(s) to %1</source>
            <translation>
                <numerusform>%n Flow in %1 gespeichert</numerusform>
                <numerusform>%n Flows in %1 gespeichert</numerusform>
            </translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1361" />
            <source>%1 — Tunnelscope</source>
            <translation>%1 — Tunnelscope</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1363" />
            <source>Not listening</source>
            <translation>Lauscht nicht</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1366" />
            <source>Listening on %1</source>
            <translation>Lauscht auf %1</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="366" />
            <source>Status</source>
            <translation>Status</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="587" />
            <source>&amp;File</source>
            <translation>&amp;Datei</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="409" />
            <source>&amp;Export HAR…</source>
            <translation>HAR &amp;exportieren…</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="467" />
            <source>&amp;Quit</source>
            <translation>&amp;Beenden</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="620" />
            <source>&amp;View</source>
            <translation>&amp;Ansicht</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="574" />
            <source>&amp;Auto-scroll to new flows</source>
            <translation>&amp;Automatisch zu neuen Flows scrollen</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1279" />
            <location filename="../ui/main_window.cpp" line="1289" />
            <source>Export HAR</source>
            <translation>HAR exportieren</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1049" />
            <location filename="../ui/main_window.cpp" line="1175" />
            <location filename="../ui/main_window.cpp" line="1280" />
            <source>HTTP Archive (*.har);;All files (*)</source>
            <translation>HTTP-Archiv (*.har);;Alle Dateien (*)</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="202" />
            <source>Details</source>
            <translation>Details</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="218" />
            <source>&amp;Details</source>
            <translation>&amp;Details</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="219" />
            <source>&amp;Tunnels</source>
            <translation>&amp;Tunnel</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="220" />
            <source>&amp;Connections</source>
            <translation>&amp;Verbindungen</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="221" />
            <source>&amp;Frames</source>
            <translation>&amp;Frames</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="222" />
            <source>&amp;Streams</source>
            <translation>&amp;Streams</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="223" />
            <source>Co&amp;mposer</source>
            <translation>&amp;Composer</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="447" />
            <source>&amp;Set up a client…</source>
            <translation>Client &amp;einrichten…</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="473" />
            <location filename="../ui/main_window.cpp" line="1602" />
            <source>&amp;Pause</source>
            <translation>&amp;Pausieren</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="478" />
            <source>Stop showing new flows (the proxy keeps running)</source>
            <translation>Keine neuen Flows mehr anzeigen (der Proxy läuft weiter)</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="481" />
            <source>C&amp;lear</source>
            <translation>&amp;Leeren</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="485" />
            <source>Forget every recorded flow</source>
            <translation>Alle aufgezeichneten Flows verwerfen</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="488" />
            <source>Dele&amp;te</source>
            <translation>Lö&amp;schen</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="497" />
            <source>Show &amp;Connection and Frames</source>
            <translation>&amp;Verbindung und Frames zeigen</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="504" />
            <source>Co&amp;mpare Two Flows</source>
            <translation>Zwei Flows ver&amp;gleichen</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="506" />
            <source>Select two flows (Ctrl+click) to see them side by side</source>
            <translation>Wählen Sie zwei Flows aus (Strg+Klick), um sie nebeneinander zu sehen</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="509" />
            <source>U&amp;ndo</source>
            <translation>&amp;Rückgängig:</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="512" />
            <source>R&amp;edo</source>
            <translation>Wieder&amp;herstellen:</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="517" />
            <source>&amp;Intercept TLS</source>
            <translation>TLS &amp;entschlüsseln</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="521" />
            <source>Decrypt TLS in new tunnels</source>
            <translation>TLS in neuen Tunneln entschlüsseln</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="551" />
            <source>&amp;Replay</source>
            <translation>&amp;Wiederholen</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="554" />
            <source>Send the selected request again, as it was</source>
            <translation>Die ausgewählte Anfrage unverändert erneut senden</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="557" />
            <source>E&amp;dit and Replay…</source>
            <translation>Be&amp;arbeiten und wiederholen…</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="560" />
            <source>Put the selected request into the composer</source>
            <translation>Die ausgewählte Anfrage in den Composer übernehmen</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="564" />
            <source>&amp;Filter…</source>
            <translation>&amp;Filtern…</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="568" />
            <source>&amp;Search Bodies…</source>
            <translation>In Bo&amp;dys suchen…</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="572" />
            <source>The flows whose request or response body contains a text (the filter's body:)</source>
            <translation>Die Flows, deren Anfrage- oder Antwort-Body einen Text enthält (body: im Filter)</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="598" />
            <source>&amp;Edit</source>
            <translation>&amp;Bearbeiten</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="631" />
            <source>&amp;Help</source>
            <translation>&amp;Hilfe</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="644" />
            <source>Main</source>
            <translation>Werkzeuge</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="656" />
            <source>Filter, e.g. host:example.com status&gt;=400</source>
            <translation>Filter, z. B. host:example.com status&gt;=400</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="663" />
            <source>The filter language</source>
            <translation>Die Filtersprache</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="445" />
            <source>Resident memory of the process, and what recorded flows and connections hold in memory against the memory budget: bodies %1, headers %2, frame logs %3. Beyond the budget, closed connections' frame logs and older flows' bodies and headers go to disk.</source>
            <translation>Arbeitsspeicher des Prozesses und was aufgezeichnete Flows und Verbindungen im Speicher halten, gemessen am Speicherbudget: Bodys %1, Header %2, Frame-Protokolle %3. Jenseits des Budgets kommen die Frame-Protokolle geschlossener Verbindungen sowie Bodys und Header älterer Flows auf die Festplatte.</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="448" />
            <source>Frames left out of connection logs that reached their capacity, or that the memory budget could not keep</source>
            <translation>Frames, die in vollen Verbindungsprotokollen nicht mehr gespeichert wurden oder die das Speicherbudget nicht halten konnte</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="784" />
            <source>Filtering…</source>
            <translation>Wird gefiltert…</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="787" />
            <source>Applied in %1 ms</source>
            <translation>Angewendet in %1 ms</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="911" />
            <source>Filter language</source>
            <translation>Filtersprache</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="985" />
            <location filename="../ui/main_window.cpp" line="999" />
            <source>Select a request to copy</source>
            <translation>Wählen Sie eine Anfrage zum Kopieren aus</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1004" />
            <source>Copied as curl</source>
            <translation>Als curl kopiert</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1011" />
            <source>Select a request to replay</source>
            <translation>Wählen Sie eine Anfrage zum Wiederholen aus</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1025" />
            <source>Select a request to edit</source>
            <translation>Wählen Sie eine Anfrage zum Bearbeiten aus</translation>
        </message>
        <message numerus="yes">
            <location filename="../ui/main_window.cpp" line="1127" />
            <source>Imported %n flow(s) from %1</source>
            <translation>
                <numerusform>%n Flow aus %1 importiert</numerusform>
                <numerusform>%n Flows aus %1 importiert</numerusform>
            </translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1169" />
            <location filename="../ui/main_window.cpp" line="1188" />
            <source>Select the flows to export</source>
            <translation>Wählen Sie die zu exportierenden Flows aus</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1173" />
            <location filename="../ui/main_window.cpp" line="1194" />
            <source>Export Selection as HAR</source>
            <translation>Auswahl als HAR exportieren</translation>
        </message>
        <message numerus="yes">
            <location filename="../ui/main_window.cpp" line="1198" />
            <source>Exported %n flow(s) to %1</source>
            <translation>
                <numerusform>%n Flow nach %1 exportiert</numerusform>
                <numerusform>%n Flows nach %1 exportiert</numerusform>
            </translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1205" />
            <source>Select a request to copy its body</source>
            <translation>Wählen Sie eine Anfrage aus, um ihren Body zu kopieren</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1211" />
            <location filename="../ui/main_window.cpp" line="1255" />
            <source>The response has no body</source>
            <translation>Die Antwort hat keinen Body</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1211" />
            <location filename="../ui/main_window.cpp" line="1255" />
            <source>The request has no body</source>
            <translation>Die Anfrage hat keinen Body</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1221" />
            <source>The body is not text: save it to a file instead</source>
            <translation>Der Body ist kein Text: speichern Sie ihn stattdessen in einer Datei</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1225" />
            <source>Copied the body (%1)</source>
            <translation>Body kopiert (%1)</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1231" />
            <location filename="../ui/main_window.cpp" line="1249" />
            <source>Select a request to save its body</source>
            <translation>Wählen Sie eine Anfrage aus, um ihren Body zu speichern</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1241" />
            <location filename="../ui/main_window.cpp" line="1266" />
            <source>Save Response Body</source>
            <translation>Antwort-Body speichern</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1241" />
            <location filename="../ui/main_window.cpp" line="1266" />
            <source>Save Request Body</source>
            <translation>Anfrage-Body speichern</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1267" />
            <source>Cannot write %1: %2</source>
            <translation>%1 kann nicht geschrieben werden: %2</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1270" />
            <source>Saved the body to %1 (%2)</source>
            <translation>Body in %1 gespeichert (%2)</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1293" />
            <source>Exported to %1</source>
            <translation>Exportiert nach %1</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1370" />
            <source>%1; new flows are added to %2 (save to keep them)</source>
            <translation>%1; neue Flows kommen zu %2 hinzu (speichern, um sie zu behalten)</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1470" />
            <source>the listen address</source>
            <translation>die Listener-Adresse</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1471" />
            <source>the listen port</source>
            <translation>den Listener-Port</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1472" />
            <source>the HTTPS proxy port</source>
            <translation>den HTTPS-Proxy-Port</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1473" />
            <source>TLS interception</source>
            <translation>die TLS-Entschlüsselung</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1474" />
            <source>the pass-through hosts</source>
            <translation>die durchgeleiteten Hosts</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1475" />
            <source>server certificate verification</source>
            <translation>die Prüfung der Serverzertifikate</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1476" />
            <source>the frame log size</source>
            <translation>die Größe des Frame-Protokolls</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1477" />
            <source>the upstream proxies</source>
            <translation>die Upstream-Proxys</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1484" />
            <source>Saved. New values of %1 apply after Tunnelscope restarts.</source>
            <translation>Gespeichert. Neue Werte für %1 gelten erst nach einem Neustart von Tunnelscope.</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1488" />
            <source>Preferences</source>
            <translation>Einstellungen</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1494" />
            <source>Preferences saved</source>
            <translation>Einstellungen gespeichert</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1569" />
            <source>Tunnelscope User Guide</source>
            <translation>Tunnelscope-Benutzerhandbuch</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1602" />
            <source>&amp;Resume</source>
            <translation>&amp;Fortsetzen</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1612" />
            <source>Clear</source>
            <translation>Leeren</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1627" />
            <source>Select the flows to delete</source>
            <translation>Wählen Sie die zu löschenden Flows aus</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1632" />
            <source>Delete 1 Flow</source>
            <translation>1 Flow löschen</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1633" />
            <source>Delete %1 Flows</source>
            <translation>%1 Flows löschen</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1648" />
            <source>Select two flows to compare them</source>
            <translation>Wählen Sie zwei Flows zum Vergleichen aus</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1944" />
            <source>Quit Tunnelscope</source>
            <translation>Tunnelscope beenden</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1946" />
            <source>The capture (1 flow) has changes that are not saved.</source>
            <translation>Die Aufzeichnung (1 Flow) hat ungespeicherte Änderungen.</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1947" />
            <source>The capture (%1 flows) has changes that are not saved.</source>
            <translation>Die Aufzeichnung (%1 Flows) hat ungespeicherte Änderungen.</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1951" />
            <source>Save the capture before quitting?</source>
            <translation>Die Aufzeichnung vor dem Beenden speichern?</translation>
        </message>
        <message numerus="yes">
            <location filename="../ui/main_window.cpp" line="1641" />
            <source>Deleted %n flow(s); Edit → Undo brings them back</source>
            <translation>
                <numerusform>%n Flow gelöscht; Bearbeiten → Rückgängig holt ihn zurück</numerusform>
                <numerusform>%n Flows gelöscht; Bearbeiten → Rückgängig holt sie zurück</numerusform>
            </translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1667" />
            <source>Select a flow to show its connection</source>
            <translation>Wählen Sie einen Flow aus, um seine Verbindung zu zeigen</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1676" />
            <source>Frames of flow %1 on connection #%2</source>
            <translation>Frames von Flow %1 auf Verbindung #%2</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1684" />
            <source>Flow %1 crossed connection #%2, which has no frame log (HTTP/1.1)</source>
            <translation>Flow %1 lief über Verbindung #%2, die kein Frame-Protokoll hat (HTTP/1.1)</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1690" />
            <source>No connection was recorded for flow %1</source>
            <translation>Für Flow %1 wurde keine Verbindung aufgezeichnet</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1736" />
            <source>Autosave failed: %1</source>
            <translation>Automatisches Speichern fehlgeschlagen: %1</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1757" />
            <source>Recover Capture</source>
            <translation>Aufzeichnung wiederherstellen</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1758" />
            <source>Tunnelscope did not quit normally last time (it was stopped by the system, killed or crashed). Its capture was autosaved on %1.

Open it?</source>
            <translation>Tunnelscope wurde beim letzten Mal nicht normal beendet (vom System gestoppt, abgebrochen oder abgestürzt). Die Aufzeichnung wurde am %1 automatisch gespeichert.

Soll sie geöffnet werden?</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1763" />
            <source>&amp;Open It</source>
            <translation>&amp;Öffnen</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1764" />
            <source>&amp;Discard It</source>
            <translation>&amp;Verwerfen</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1797" />
            <location filename="../ui/main_window.cpp" line="1811" />
            <source>1 tunnel</source>
            <translation>1 Tunnel</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1797" />
            <location filename="../ui/main_window.cpp" line="1811" />
            <source>%1 tunnels</source>
            <translation>%1 Tunnel</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1806" />
            <source>%1 of %2 flows</source>
            <translation>%1 von %2 Flows</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1808" />
            <source>1 flow</source>
            <translation>1 Flow</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1809" />
            <source>%1 flows</source>
            <translation>%1 Flows</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1823" />
            <source>Paused: %1 new flows not shown</source>
            <translation>Pausiert: %1 neue Flows nicht angezeigt</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1824" />
            <source>%1 flows not shown (arrived while paused)</source>
            <translation>%1 Flows nicht angezeigt (während der Pause eingetroffen)</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1044" />
            <source>Memory %1 (records %2 of %3)</source>
            <translation>Speicher %1 (Aufzeichnungen %2 von %3)</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1833" />
            <source>unknown</source>
            <translation>unbekannt</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1842" />
            <source>1 frame dropped</source>
            <translation>1 Frame verworfen</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1843" />
            <source>%1 frames dropped</source>
            <translation>%1 Frames verworfen</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1322" />
            <source> (%1 to stay within the memory budget)</source>
            <translation> (%1, um im Speicherbudget zu bleiben)</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1073" />
            <source>Flow %1 is not in the table (filtered out or arrived while paused)</source>
            <translation>Flow %1 ist nicht in der Tabelle (ausgefiltert oder während der Pause eingetroffen)</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="525" />
            <source>Copy &amp;URL</source>
            <translation>&amp;URL kopieren</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="533" />
            <source>Copy &amp;As</source>
            <translation>Kopieren &amp;als</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="535" />
            <source>&amp;curl</source>
            <translation>&amp;curl</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="540" />
            <source>&amp;fetch (JavaScript)</source>
            <translation>&amp;fetch (JavaScript)</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="543" />
            <source>&amp;Python requests</source>
            <translation>&amp;Python requests</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="546" />
            <source>&amp;HTTPie</source>
            <translation>&amp;HTTPie</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="458" />
            <source>&amp;Keyboard Shortcuts</source>
            <translation>&amp;Tastenkürzel</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="413" />
            <source>Export Se&amp;lection as HAR…</source>
            <translation>Aus&amp;wahl als HAR exportieren…</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="416" />
            <source>The selected flows (Ctrl+A selects every flow the filter shows)</source>
            <translation>Die ausgewählten Flows (Strg+A wählt jeden Flow, den der Filter zeigt)</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="420" />
            <source>Copy Request &amp;Body</source>
            <translation>Anfrage-&amp;Body kopieren</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="424" />
            <source>Copy Response B&amp;ody</source>
            <translation>Antwort-B&amp;ody kopieren</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="428" />
            <source>Save Request Body…</source>
            <translation>Anfrage-Body speichern…</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="431" />
            <source>Save Response Body…</source>
            <translation>Antwort-Body speichern…</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="452" />
            <source>&amp;User Guide</source>
            <translation>&amp;Benutzerhandbuch</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="462" />
            <source>&amp;About Tunnelscope</source>
            <translation>&amp;Über Tunnelscope</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="493" />
            <source>Remove the selected flows (Edit → Undo brings them back)</source>
            <translation>Die ausgewählten Flows entfernen (Bearbeiten → Rückgängig holt sie zurück)</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="500" />
            <source>The frames of the selected flow's stream; double-click a frame to come back</source>
            <translation>Die Frames des Streams des ausgewählten Flows; ein Doppelklick auf einen Frame führt zurück</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="579" />
            <source>&amp;Reset Layout</source>
            <translation>Layout &amp;zurücksetzen</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="581" />
            <source>Put every pane back where it was at the first start</source>
            <translation>Jeden Bereich dorthin zurücklegen, wo er beim ersten Start war</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="845" />
            <source>Not listening: nothing will be recorded. File → Open Session opens a recorded one.</source>
            <translation>Kein Listener: nichts wird aufgezeichnet. Datei → Sitzung öffnen öffnet eine aufgezeichnete.</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="850" />
            <source>Listening on %1.

Point a client at the proxy, for example:
curl -x http://%2 http://example.com/</source>
            <translation>Lauscht auf %1.

Richten Sie einen Client auf den Proxy, zum Beispiel:
curl -x http://%2 http://example.com/</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="855" />
            <source>For a browser that trusts Tunnelscope's CA (HTTPS included): Help → Certificate authority and browser.</source>
            <translation>Für einen Browser, der der CA von Tunnelscope vertraut (auch für HTTPS): Hilfe → Zertifizierungsstelle und Browser.</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="859" />
            <source>No flows match the filter.
Esc in the filter box clears it.</source>
            <translation>Kein Flow passt zum Filter.
Esc im Filterfeld leert es.</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="861" />
            <source>Paused: new flows are held back until you resume.</source>
            <translation>Pausiert: neue Flows werden bis zum Fortsetzen zurückgehalten.</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="976" />
            <source>Select a flow to copy its URL</source>
            <translation>Wählen Sie einen Flow aus, um seine URL zu kopieren</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="980" />
            <source>Copied the URL</source>
            <translation>URL kopiert</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="992" />
            <source>Copied</source>
            <translation>Kopiert</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1527" />
            <source>Ctrl+Home, Ctrl+End</source>
            <translation>Strg+Pos1, Strg+Ende</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1527" />
            <source>First, last flow</source>
            <translation>Erster, letzter Flow</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1528" />
            <source>Esc</source>
            <translation>Esc</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1528" />
            <source>Clear the filter (in the filter box)</source>
            <translation>Filter leeren (im Filterfeld)</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1539" />
            <source>Keyboard Shortcuts</source>
            <translation>Tastenkürzel</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1586" />
            <source>About Tunnelscope</source>
            <translation>Über Tunnelscope</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1587" />
            <source>Tunnelscope %1

A desktop proxy debugger: an intercepting forward proxy and an inspector for its flows, tunnels, connections, frames and streams.

Built with Qt %2. Help → Keyboard Shortcuts lists the keys; the ? beside the filter box explains the filter language.</source>
            <translation>Tunnelscope %1

Ein Proxy-Debugger für den Desktop: ein abfangender Forward-Proxy und ein Inspektor für seine Flows, Tunnel, Verbindungen, Frames und Streams.

Erstellt mit Qt %2. Hilfe → Tastenkürzel listet die Tasten auf; das ? neben dem Filterfeld erklärt die Filtersprache.</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="226" />
            <source>Could not put the system proxy back as it was before Tunnelscope stopped unexpectedly: %1</source>
            <translation>Der System-Proxy konnte nicht wie vor dem unerwarteten Ende von Tunnelscope wiederhergestellt werden: %1</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="230" />
            <source>Tunnelscope stopped unexpectedly last time with the system proxy set; it is back as it was.</source>
            <translation>Tunnelscope wurde beim letzten Mal unerwartet beendet, während der System-Proxy gesetzt war; er ist wieder wie zuvor.</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::MessageView</name>
        <message>
            <location filename="../ui/detail/message_view.cpp" line="22" />
            <location filename="../ui/detail/message_view.cpp" line="163" />
            <location filename="../ui/detail/message_view.cpp" line="168" />
            <source>Name</source>
            <translation>Name</translation>
        </message>
        <message>
            <location filename="../ui/detail/message_view.cpp" line="22" />
            <location filename="../ui/detail/message_view.cpp" line="163" />
            <location filename="../ui/detail/message_view.cpp" line="168" />
            <source>Value</source>
            <translation>Wert</translation>
        </message>
        <message>
            <location filename="../ui/detail/message_view.cpp" line="128" />
            <source>(file %1, %2 bytes)</source>
            <translation>(Datei %1, %2 Bytes)</translation>
        </message>
        <message>
            <location filename="../ui/detail/message_view.cpp" line="163" />
            <source>Attributes</source>
            <translation>Attribute</translation>
        </message>
        <message>
            <location filename="../ui/detail/message_view.cpp" line="168" />
            <source>Change</source>
            <translation>Änderung</translation>
        </message>
        <message>
            <location filename="../ui/detail/message_view.cpp" line="183" />
            <source>Headers</source>
            <translation>Header</translation>
        </message>
        <message>
            <location filename="../ui/detail/message_view.cpp" line="184" />
            <source>Raw</source>
            <translation>Roh</translation>
        </message>
        <message>
            <location filename="../ui/detail/message_view.cpp" line="185" />
            <source>Trailers</source>
            <translation>Trailer</translation>
        </message>
        <message>
            <location filename="../ui/detail/message_view.cpp" line="187" />
            <source>Query</source>
            <translation>Parameter</translation>
        </message>
        <message>
            <location filename="../ui/detail/message_view.cpp" line="188" />
            <source>Cookies</source>
            <translation>Cookies</translation>
        </message>
        <message>
            <location filename="../ui/detail/message_view.cpp" line="189" />
            <source>Form</source>
            <translation>Formular</translation>
        </message>
        <message>
            <location filename="../ui/detail/message_view.cpp" line="244" />
            <source>To server, %1</source>
            <translation>An den Server, %1</translation>
        </message>
        <message>
            <location filename="../ui/detail/message_view.cpp" line="244" />
            <source>To client, %1</source>
            <translation>An den Client, %1</translation>
        </message>
        <message>
            <location filename="../ui/detail/message_view.cpp" line="247" />
            <source> (%1 changed)</source>
            <translation> (%1 geändert)</translation>
        </message>
        <message>
            <location filename="../ui/detail/message_view.cpp" line="247" />
            <source> (unchanged)</source>
            <translation> (unverändert)</translation>
        </message>
        <message>
            <location filename="../ui/detail/message_view.cpp" line="248" />
            <source>The request as the proxy sent it to the server</source>
            <translation>Die Anfrage, wie der Proxy sie an den Server gesendet hat</translation>
        </message>
        <message>
            <location filename="../ui/detail/message_view.cpp" line="249" />
            <source>The response as the proxy sent it to the client</source>
            <translation>Die Antwort, wie der Proxy sie an den Client gesendet hat</translation>
        </message>
        <message>
            <location filename="../ui/detail/message_view.cpp" line="325" />
            <source>Trailers:</source>
            <translation>Trailer:</translation>
        </message>
        <message>
            <location filename="../ui/detail/message_view.cpp" line="360" />
            <source>added</source>
            <translation>hinzugefügt</translation>
        </message>
        <message>
            <location filename="../ui/detail/message_view.cpp" line="365" />
            <location filename="../ui/detail/message_view.cpp" line="379" />
            <source>removed</source>
            <translation>entfernt</translation>
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
            <translation>den Proxy</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/port_in_use_dialog.cpp" line="102" />
            <source>the HTTPS proxy</source>
            <translation>den HTTPS-Proxy</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/port_in_use_dialog.cpp" line="103" />
            <source>SOCKS5</source>
            <translation>SOCKS5</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/port_in_use_dialog.cpp" line="114" />
            <source>address already in use</source>
            <translation>Adresse wird bereits verwendet</translation>
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
            <translation>Tunnelscope kann nicht starten.

%1</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/port_in_use_dialog.cpp" line="129" />
            <source>Port in use</source>
            <translation>Port belegt</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/port_in_use_dialog.cpp" line="135" />
            <source>Tunnelscope cannot listen on %1 for %2: %3.

Another program (perhaps another Tunnelscope) holds the port.</source>
            <translation>Tunnelscope kann für %2 nicht auf %1 lauschen: %3.

Ein anderes Programm (vielleicht ein anderes Tunnelscope) belegt den Port.</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/port_in_use_dialog.cpp" line="138" />
            <source>Tunnelscope cannot listen on %1 for %2: %3.

%4 holds the port.</source>
            <translation>Tunnelscope kann für %2 nicht auf %1 lauschen: %3.

%4 belegt den Port.</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/port_in_use_dialog.cpp" line="141" />
            <source>Start on another port? Clients must then be pointed at that port; Edit → Preferences keeps a port for the next starts.</source>
            <translation>Auf einem anderen Port starten? Clients müssen dann auf diesen Port zeigen; Bearbeiten → Einstellungen behält einen Port für die nächsten Starts.</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/port_in_use_dialog.cpp" line="154" />
            <source>Port:</source>
            <translation>Port:</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/port_in_use_dialog.cpp" line="157" />
            <source>Start on This Port</source>
            <translation>Auf diesem Port starten</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/port_in_use_dialog.cpp" line="160" />
            <source>Quit</source>
            <translation>Beenden</translation>
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
            <translation>%1 wurde nicht rechtzeitig beendet</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::RequestSnippets</name>
        <message>
            <location filename="../ui/detail/request_snippets.cpp" line="40" />
            <source>The request body (%1 bytes) is left out: it is too large or was not recorded in full</source>
            <translation>Der Request-Body (%1 Bytes) fehlt: er ist zu groß oder wurde nicht vollständig aufgezeichnet</translation>
        </message>
        <message>
            <location filename="../ui/detail/request_snippets.cpp" line="50" />
            <source>The request body (%1 bytes) is binary and left out</source>
            <translation>Der Request-Body (%1 Bytes) ist binär und fehlt</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::SettingsDialog</name>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="75" />
            <source>Proxy</source>
            <translation>Proxy</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="84" />
            <source>port</source>
            <translation>Port</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="86" />
            <source>&amp;Listen on:</source>
            <translation>&amp;Lauschen auf:</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="89" />
            <source>Other machines can reach the proxy on this address.</source>
            <translation>Andere Rechner können den Proxy unter dieser Adresse erreichen.</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="95" />
            <source>A second listener for clients that speak TLS to the proxy (curl -x https://..., Chromium --proxy-server=https://...)</source>
            <translation>Ein zweiter Listener für Clients, die TLS mit dem Proxy sprechen (curl -x https://..., Chromium --proxy-server=https://...)</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="97" />
            <source>&amp;HTTPS proxy port:</source>
            <translation>&amp;HTTPS-Proxy-Port:</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="97" />
            <source>(0: none)</source>
            <translation>(0: keiner)</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="101" />
            <source>TLS</source>
            <translation>TLS</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="103" />
            <source>&amp;Intercept TLS (decrypt with Tunnelscope's CA)</source>
            <translation>TLS &amp;entschlüsseln (mit der CA von Tunnelscope)</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="109" />
            <source>*.bank.example
re:^login\.
One pattern per line</source>
            <translation>*.bank.example
re:^login\.
Ein Muster pro Zeile</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="112" />
            <source>&amp;Pass through:</source>
            <translation>&amp;Durchleiten:</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="114" />
            <source>&amp;Verify servers' certificates</source>
            <translation>&amp;Serverzertifikate prüfen</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="120" />
            <source>Memory</source>
            <translation>Speicher</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="121" />
            <source>&amp;Recorded flows in memory:</source>
            <translation>&amp;Aufgezeichnete Flows im Speicher:</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="123" />
            <source>MiB</source>
            <translation>MiB</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="126" />
            <source>&amp;One body in memory:</source>
            <translation>&amp;Pro Body im Speicher:</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="127" />
            <source>KiB, the rest spills to disk</source>
            <translation>KiB, der Rest wird auf die Festplatte ausgelagert</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="130" />
            <source>&amp;Frame log:</source>
            <translation>&amp;Frame-Protokoll:</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="130" />
            <source>frames per connection</source>
            <translation>Frames pro Verbindung</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="134" />
            <source>Appearance</source>
            <translation>Darstellung</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="138" />
            <source>Follow the system</source>
            <translation>Wie das System</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="139" />
            <source>Light</source>
            <translation>Hell</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="140" />
            <source>Dark</source>
            <translation>Dunkel</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="142" />
            <source>Colo&amp;urs:</source>
            <translation>F&amp;arben:</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="184" />
            <source>General</source>
            <translation>Allgemein</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="185" />
            <source>Upstream proxies</source>
            <translation>Upstream-Proxys</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="148" />
            <source>Server-side connections go through these proxies in order, hop 1 first; each hop is reached through the ones before it. No hops: direct. Passwords are shown as ***. Changes apply to connections opened from then on.</source>
            <translation>Serverseitige Verbindungen laufen der Reihe nach über diese Proxys, Hop 1 zuerst; jeder Hop wird über die vorigen erreicht. Keine Hops: direkt. Passwörter werden als *** angezeigt. Änderungen gelten für Verbindungen, die danach geöffnet werden.</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="154" />
            <source>&amp;Chain:</source>
            <translation>&amp;Kette:</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="156" />
            <source>http://user:password@proxy.example:3128</source>
            <translation>http://benutzer:passwort@proxy.example:3128</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="159" />
            <source>&amp;Rules:</source>
            <translation>&amp;Regeln:</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="161" />
            <source>*.corp.example = http://proxy:3128   or   10.* = direct</source>
            <translation>*.corp.example = http://proxy:3128   oder   10.* = direct</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="164" />
            <source>A rule sends the hosts its globs match through its own chain (hop URLs separated by commas) or direct; the first rule that matches wins, the chain above takes the rest.</source>
            <translation>Eine Regel leitet die Hosts, auf die ihre Muster passen, über ihre eigene Kette (Hop-URLs, durch Kommas getrennt) oder direkt; die erste passende Regel gilt, die Kette darüber nimmt den Rest.</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="230" />
            <source>&amp;Add</source>
            <translation>&amp;Hinzufügen</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="232" />
            <source>Remove</source>
            <translation>Entfernen</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="234" />
            <source>Up</source>
            <translation>Nach oben</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="236" />
            <source>Down</source>
            <translation>Nach unten</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="383" />
            <source>Press Add to use it, or clear the field.</source>
            <translation>Mit „Hinzufügen“ übernehmen oder das Feld leeren.</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="71" />
            <source>Preferences</source>
            <translation>Einstellungen</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::StreamModel</name>
        <message>
            <location filename="../ui/panes/stream_model.cpp" line="174" />
            <source>Double-click to show flow #%1</source>
            <translation>Doppelklick zeigt Flow #%1</translation>
        </message>
        <message>
            <location filename="../ui/panes/stream_model.cpp" line="176" />
            <source>RST_STREAM error code %1</source>
            <translation>RST_STREAM-Fehlercode %1</translation>
        </message>
        <message>
            <location filename="../ui/panes/stream_model.cpp" line="199" />
            <source>Stream</source>
            <translation>Stream</translation>
        </message>
        <message>
            <location filename="../ui/panes/stream_model.cpp" line="201" />
            <source>Summary</source>
            <translation>Zusammenfassung</translation>
        </message>
        <message>
            <location filename="../ui/panes/stream_model.cpp" line="203" />
            <source>State</source>
            <translation>Zustand</translation>
        </message>
        <message>
            <location filename="../ui/panes/stream_model.cpp" line="205" />
            <source>In</source>
            <translation>Eingehend</translation>
        </message>
        <message>
            <location filename="../ui/panes/stream_model.cpp" line="207" />
            <source>Out</source>
            <translation>Ausgehend</translation>
        </message>
        <message>
            <location filename="../ui/panes/stream_model.cpp" line="209" />
            <source>Local window</source>
            <translation>Lokales Fenster</translation>
        </message>
        <message>
            <location filename="../ui/panes/stream_model.cpp" line="211" />
            <source>Remote window</source>
            <translation>Entferntes Fenster</translation>
        </message>
        <message>
            <location filename="../ui/panes/stream_model.cpp" line="213" />
            <source>Reset</source>
            <translation>Reset</translation>
        </message>
        <message>
            <location filename="../ui/panes/stream_model.cpp" line="215" />
            <source>Flow</source>
            <translation>Flow</translation>
        </message>
        <message>
            <location filename="../ui/panes/stream_model.cpp" line="221" />
            <source>The latest state; the tooltip of a cell lists every change</source>
            <translation>Der aktuelle Zustand; der Tooltip einer Zelle listet alle Änderungen auf</translation>
        </message>
        <message>
            <location filename="../ui/panes/stream_model.cpp" line="223" />
            <source>DATA payload received from the peer</source>
            <translation>Von der Gegenstelle empfangene DATA-Nutzdaten</translation>
        </message>
        <message>
            <location filename="../ui/panes/stream_model.cpp" line="225" />
            <source>DATA payload sent to the peer</source>
            <translation>An die Gegenstelle gesendete DATA-Nutzdaten</translation>
        </message>
        <message>
            <location filename="../ui/panes/stream_model.cpp" line="227" />
            <source>What the peer may still send us</source>
            <translation>Was die Gegenstelle uns noch senden darf</translation>
        </message>
        <message>
            <location filename="../ui/panes/stream_model.cpp" line="229" />
            <source>What we may still send the peer</source>
            <translation>Was wir der Gegenstelle noch senden dürfen</translation>
        </message>
        <message>
            <location filename="../ui/panes/stream_model.cpp" line="231" />
            <source>The RST_STREAM error code, when the stream was reset</source>
            <translation>Der RST_STREAM-Fehlercode, falls der Stream zurückgesetzt wurde</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::StreamsPane</name>
        <message>
            <location filename="../ui/panes/streams_pane.cpp" line="38" />
            <source>The state changes of the selected stream</source>
            <translation>Die Zustandsänderungen des ausgewählten Streams</translation>
        </message>
        <message>
            <location filename="../ui/panes/streams_pane.cpp" line="120" />
            <source>Select a connection to see its streams</source>
            <translation>Wählen Sie eine Verbindung aus, um ihre Streams zu sehen</translation>
        </message>
        <message>
            <location filename="../ui/panes/streams_pane.cpp" line="122" />
            <source>Connection #%1: not multiplexed, no streams</source>
            <translation>Verbindung #%1: nicht gemultiplext, keine Streams</translation>
        </message>
        <message>
            <location filename="../ui/panes/streams_pane.cpp" line="124" />
            <source>Connection #%1: 1 stream</source>
            <translation>Verbindung #%1: 1 Stream</translation>
        </message>
        <message>
            <location filename="../ui/panes/streams_pane.cpp" line="127" />
            <source>Connection #%1: %L2 streams</source>
            <translation>Verbindung #%1: %L2 Streams</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::StructureModel</name>
        <message>
            <location filename="../ui/views/structure_model.cpp" line="145" />
            <source>All flows</source>
            <translation>Alle Flows</translation>
        </message>
        <message>
            <location filename="../ui/views/structure_model.cpp" line="148" />
            <source>Every flow; select a host or path to show only its flows</source>
            <translation>Alle Flows; einen Host oder Pfad wählen, um nur dessen Flows zu zeigen</translation>
        </message>
        <message>
            <location filename="../ui/views/structure_model.cpp" line="150" />
            <source>Flows to %1: %2</source>
            <translation>Flows an %1: %2</translation>
        </message>
        <message>
            <location filename="../ui/views/structure_model.cpp" line="152" />
            <source>Flows under %1/%2: %3</source>
            <translation>Flows unter %1/%2: %3</translation>
        </message>
        <message>
            <location filename="../ui/views/structure_model.cpp" line="175" />
            <source>Host and path</source>
            <translation>Host und Pfad</translation>
        </message>
        <message>
            <location filename="../ui/views/structure_model.cpp" line="177" />
            <source>Flows</source>
            <translation>Flows</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::TimelinePane</name>
        <message>
            <location filename="../ui/views/timeline_pane.cpp" line="41" />
            <source>Lookup</source>
            <translation>Namensauflösung</translation>
        </message>
        <message>
            <location filename="../ui/views/timeline_pane.cpp" line="42" />
            <source>Connect</source>
            <translation>Verbinden</translation>
        </message>
        <message>
            <location filename="../ui/views/timeline_pane.cpp" line="43" />
            <source>TLS</source>
            <translation>TLS</translation>
        </message>
        <message>
            <location filename="../ui/views/timeline_pane.cpp" line="44" />
            <source>Request sent</source>
            <translation>Anfrage gesendet</translation>
        </message>
        <message>
            <location filename="../ui/views/timeline_pane.cpp" line="45" />
            <source>Waiting</source>
            <translation>Warten</translation>
        </message>
        <message>
            <location filename="../ui/views/timeline_pane.cpp" line="46" />
            <source>Receiving</source>
            <translation>Empfangen</translation>
        </message>
        <message>
            <location filename="../ui/views/timeline_pane.cpp" line="47" />
            <source>Open or no timings</source>
            <translation>Offen oder ohne Zeiten</translation>
        </message>
        <message>
            <location filename="../ui/views/timeline_pane.cpp" line="73" />
            <source>%1 selected flows over %2</source>
            <translation>%1 ausgewählte Flows über %2</translation>
        </message>
        <message>
            <location filename="../ui/views/timeline_pane.cpp" line="74" />
            <source>%1 flows shown in the table, over %2; select two or more rows to draw only those</source>
            <translation>%1 Flows aus der Tabelle über %2; zwei oder mehr Zeilen auswählen, um nur diese zu zeichnen</translation>
        </message>
        <message>
            <location filename="../ui/views/timeline_pane.cpp" line="53" />
            <source>Ctrl+wheel zooms</source>
            <translation>Strg+Mausrad zoomt</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::TimelineView</name>
        <message>
            <location filename="../ui/views/timeline_view.cpp" line="273" />
            <source>Starts at +%1</source>
            <translation>Beginnt bei +%1</translation>
        </message>
        <message>
            <location filename="../ui/views/timeline_view.cpp" line="275" />
            <source>%1: %2</source>
            <translation>%1: %2</translation>
        </message>
        <message>
            <location filename="../ui/views/timeline_view.cpp" line="277" />
            <source>Still open</source>
            <translation>Noch offen</translation>
        </message>
        <message>
            <location filename="../ui/views/timeline_view.cpp" line="279" />
            <source>Total: %1</source>
            <translation>Gesamt: %1</translation>
        </message>
        <message>
            <location filename="../ui/views/timeline_view.cpp" line="298" />
            <source>No flows to show. The timeline draws the flows the table shows, or the rows selected in it when there are two or more.</source>
            <translation>Keine Flows anzuzeigen. Die Zeitleiste zeichnet die Flows der Tabelle, oder die dort ausgewählten Zeilen, wenn es zwei oder mehr sind.</translation>
        </message>
        <message>
            <location filename="../ui/views/timeline_view.cpp" line="373" />
            <source>Flow</source>
            <translation>Flow</translation>
        </message>
        <message>
            <location filename="../ui/views/timeline_view.cpp" line="1" />
            <source>Flow (zoom %1×)</source>
            <translation>Flow (Zoom %1×)</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::TimingView</name>
        <message>
            <location filename="../ui/detail/timing_view.cpp" line="14" />
            <source>%1 µs</source>
            <translation>%1 µs</translation>
        </message>
        <message>
            <location filename="../ui/detail/timing_view.cpp" line="16" />
            <source>%1 ms</source>
            <translation>%1 ms</translation>
        </message>
        <message>
            <location filename="../ui/detail/timing_view.cpp" line="17" />
            <source>%1 s</source>
            <translation>%1 s</translation>
        </message>
        <message>
            <location filename="../ui/detail/timing_view.cpp" line="41" />
            <source>Name lookup</source>
            <translation>Namensauflösung</translation>
        </message>
        <message>
            <location filename="../ui/detail/timing_view.cpp" line="42" />
            <source>Connect</source>
            <translation>Verbinden</translation>
        </message>
        <message>
            <location filename="../ui/detail/timing_view.cpp" line="44" />
            <source>TLS handshake</source>
            <translation>TLS-Handshake</translation>
        </message>
        <message>
            <location filename="../ui/detail/timing_view.cpp" line="45" />
            <source>Request sent</source>
            <translation>Anfrage gesendet</translation>
        </message>
        <message>
            <location filename="../ui/detail/timing_view.cpp" line="46" />
            <source>Waiting (first byte)</source>
            <translation>Warten (erstes Byte)</translation>
        </message>
        <message>
            <location filename="../ui/detail/timing_view.cpp" line="47" />
            <source>Receiving</source>
            <translation>Empfangen</translation>
        </message>
        <message>
            <location filename="../ui/detail/timing_view.cpp" line="54" />
            <source>The server connection was reused: no lookup, connect or TLS.</source>
            <translation>Die Serververbindung wurde wiederverwendet: keine Namensauflösung, kein Verbindungsaufbau, kein TLS.</translation>
        </message>
        <message>
            <location filename="../ui/detail/timing_view.cpp" line="57" />
            <source>Tunnels have no request timings; their exchanges do.</source>
            <translation>Tunnel haben keine Anfragezeiten; ihre Austausche schon.</translation>
        </message>
        <message>
            <location filename="../ui/detail/timing_view.cpp" line="95" />
            <source>No timings recorded.</source>
            <translation>Keine Zeiten aufgezeichnet.</translation>
        </message>
        <message>
            <location filename="../ui/detail/timing_view.cpp" line="118" />
            <source>Total %1</source>
            <translation>Gesamt %1</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::TlsView</name>
        <message>
            <location filename="../ui/detail/tls_view.cpp" line="44" />
            <source>no TLS</source>
            <translation>kein TLS</translation>
        </message>
        <message>
            <location filename="../ui/detail/tls_view.cpp" line="48" />
            <source>Failure</source>
            <translation>Fehler</translation>
        </message>
        <message>
            <location filename="../ui/detail/tls_view.cpp" line="49" />
            <source>SNI</source>
            <translation>SNI</translation>
        </message>
        <message>
            <location filename="../ui/detail/tls_view.cpp" line="50" />
            <source>ALPN offered</source>
            <translation>ALPN angeboten</translation>
        </message>
        <message>
            <location filename="../ui/detail/tls_view.cpp" line="51" />
            <source>ALPN chosen</source>
            <translation>ALPN gewählt</translation>
        </message>
        <message>
            <location filename="../ui/detail/tls_view.cpp" line="52" />
            <source>Version</source>
            <translation>Version</translation>
        </message>
        <message>
            <location filename="../ui/detail/tls_view.cpp" line="53" />
            <source>Cipher</source>
            <translation>Cipher</translation>
        </message>
        <message>
            <location filename="../ui/detail/tls_view.cpp" line="55" />
            <source>Handshake</source>
            <translation>Handshake</translation>
        </message>
        <message>
            <location filename="../ui/detail/tls_view.cpp" line="56" />
            <source>%1 ms</source>
            <translation>%1 ms</translation>
        </message>
        <message>
            <location filename="../ui/detail/tls_view.cpp" line="59" />
            <source>Verification</source>
            <translation>Prüfung</translation>
        </message>
        <message>
            <location filename="../ui/detail/tls_view.cpp" line="61" />
            <source>verified</source>
            <translation>geprüft</translation>
        </message>
        <message>
            <location filename="../ui/detail/tls_view.cpp" line="62" />
            <source>not verified: %1</source>
            <translation>nicht geprüft: %1</translation>
        </message>
        <message>
            <location filename="../ui/detail/tls_view.cpp" line="66" />
            <source>Server's certificate chain</source>
            <translation>Zertifikatskette des Servers</translation>
        </message>
        <message>
            <location filename="../ui/detail/tls_view.cpp" line="67" />
            <source>Certificate shown to the client</source>
            <translation>Dem Client gezeigtes Zertifikat</translation>
        </message>
        <message numerus="yes">
            <location filename="../ui/detail/tls_view.cpp" line="68" />
            <source>%n certificate(s)</source>
            <translation>
                <numerusform>%n Zertifikat</numerusform>
                <numerusform>%n Zertifikate</numerusform>
            </translation>
        </message>
        <message>
            <location filename="../ui/detail/tls_view.cpp" line="71" />
            <source>Subject</source>
            <translation>Inhaber</translation>
        </message>
        <message>
            <location filename="../ui/detail/tls_view.cpp" line="72" />
            <source>Issuer</source>
            <translation>Aussteller</translation>
        </message>
        <message>
            <location filename="../ui/detail/tls_view.cpp" line="74" />
            <source>Names</source>
            <translation>Namen</translation>
        </message>
        <message>
            <location filename="../ui/detail/tls_view.cpp" line="75" />
            <source>Valid</source>
            <translation>Gültig</translation>
        </message>
        <message>
            <location filename="../ui/detail/tls_view.cpp" line="76" />
            <source>%1 to %2</source>
            <translation>%1 bis %2</translation>
        </message>
        <message>
            <location filename="../ui/detail/tls_view.cpp" line="78" />
            <source>Key</source>
            <translation>Schlüssel</translation>
        </message>
        <message>
            <location filename="../ui/detail/tls_view.cpp" line="80" />
            <source>Serial</source>
            <translation>Seriennummer</translation>
        </message>
        <message>
            <location filename="../ui/detail/tls_view.cpp" line="81" />
            <source>SHA-256</source>
            <translation>SHA-256</translation>
        </message>
        <message>
            <location filename="../ui/detail/tls_view.cpp" line="90" />
            <source>Field</source>
            <translation>Feld</translation>
        </message>
        <message>
            <location filename="../ui/detail/tls_view.cpp" line="90" />
            <source>Value</source>
            <translation>Wert</translation>
        </message>
        <message>
            <location filename="../ui/detail/tls_view.cpp" line="109" />
            <source>Client side (client ↔ proxy)</source>
            <translation>Client-Seite (Client ↔ Proxy)</translation>
        </message>
        <message>
            <location filename="../ui/detail/tls_view.cpp" line="110" />
            <source>Server side (proxy ↔ server)</source>
            <translation>Server-Seite (Proxy ↔ Server)</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::TunnelModel</name>
        <message>
            <location filename="../ui/panes/tunnel_model.cpp" line="37" />
            <source>open</source>
            <translation>offen</translation>
        </message>
        <message>
            <location filename="../ui/panes/tunnel_model.cpp" line="39" />
            <source>closed</source>
            <translation>geschlossen</translation>
        </message>
        <message>
            <location filename="../ui/panes/tunnel_model.cpp" line="41" />
            <source>failed</source>
            <translation>fehlgeschlagen</translation>
        </message>
        <message>
            <location filename="../ui/panes/tunnel_model.cpp" line="207" />
            <source>%1 stream %2 on connection %3</source>
            <translation>%1-Stream %2 auf Verbindung %3</translation>
        </message>
        <message>
            <location filename="../ui/panes/tunnel_model.cpp" line="211" />
            <source>%1 CONNECT</source>
            <translation>%1 CONNECT</translation>
        </message>
        <message>
            <location filename="../ui/panes/tunnel_model.cpp" line="217" />
            <source>0 B/s</source>
            <translation>0 B/s</translation>
        </message>
        <message>
            <location filename="../ui/panes/tunnel_model.cpp" line="218" />
            <source>%1/s</source>
            <translation>%1/s</translation>
        </message>
        <message>
            <location filename="../ui/panes/tunnel_model.cpp" line="241" />
            <source>Over the last %1 ms between updates</source>
            <translation>Über die letzten %1 ms zwischen zwei Aktualisierungen</translation>
        </message>
        <message>
            <location filename="../ui/panes/tunnel_model.cpp" line="274" />
            <source>intercepted</source>
            <translation>entschlüsselt</translation>
        </message>
        <message>
            <location filename="../ui/panes/tunnel_model.cpp" line="274" />
            <source>passed through</source>
            <translation>durchgeleitet</translation>
        </message>
        <message>
            <location filename="../ui/panes/tunnel_model.cpp" line="320" />
            <source>#</source>
            <translation>Nr.</translation>
        </message>
        <message>
            <location filename="../ui/panes/tunnel_model.cpp" line="322" />
            <source>Client</source>
            <translation>Client</translation>
        </message>
        <message>
            <location filename="../ui/panes/tunnel_model.cpp" line="324" />
            <source>Target</source>
            <translation>Ziel</translation>
        </message>
        <message>
            <location filename="../ui/panes/tunnel_model.cpp" line="326" />
            <source>Carrier</source>
            <translation>Transport</translation>
        </message>
        <message>
            <location filename="../ui/panes/tunnel_model.cpp" line="328" />
            <source>TLS</source>
            <translation>TLS</translation>
        </message>
        <message>
            <location filename="../ui/panes/tunnel_model.cpp" line="330" />
            <source>Sent ↑</source>
            <translation>Gesendet ↑</translation>
        </message>
        <message>
            <location filename="../ui/panes/tunnel_model.cpp" line="332" />
            <source>Received ↓</source>
            <translation>Empfangen ↓</translation>
        </message>
        <message>
            <location filename="../ui/panes/tunnel_model.cpp" line="334" />
            <source>Throughput</source>
            <translation>Durchsatz</translation>
        </message>
        <message>
            <location filename="../ui/panes/tunnel_model.cpp" line="336" />
            <source>State</source>
            <translation>Zustand</translation>
        </message>
        <message>
            <location filename="../ui/panes/tunnel_model.cpp" line="338" />
            <source>Close reason</source>
            <translation>Schließgrund</translation>
        </message>
        <message>
            <location filename="../ui/panes/tunnel_model.cpp" line="355" />
            <source>How the client asked for the tunnel</source>
            <translation>Wie der Client den Tunnel angefordert hat</translation>
        </message>
        <message>
            <location filename="../ui/panes/tunnel_model.cpp" line="357" />
            <source>Intercepted (decrypted) or passed through as it is; the tooltip says why</source>
            <translation>Entschlüsselt oder unverändert durchgeleitet; der Tooltip nennt den Grund</translation>
        </message>
        <message>
            <location filename="../ui/panes/tunnel_model.cpp" line="359" />
            <source>Bytes from the client to the server</source>
            <translation>Bytes vom Client zum Server</translation>
        </message>
        <message>
            <location filename="../ui/panes/tunnel_model.cpp" line="361" />
            <source>Bytes from the server to the client</source>
            <translation>Bytes vom Server zum Client</translation>
        </message>
        <message>
            <location filename="../ui/panes/tunnel_model.cpp" line="363" />
            <source>Bytes per second each way between the last two updates</source>
            <translation>Bytes pro Sekunde in jeder Richtung zwischen den letzten beiden Aktualisierungen</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::TunnelsPane</name>
        <message>
            <location filename="../ui/panes/tunnels_pane.cpp" line="107" />
            <source>Flows carried by tunnel #%1</source>
            <translation>Flows in Tunnel #%1</translation>
        </message>
        <message>
            <location filename="../ui/panes/tunnels_pane.cpp" line="108" />
            <source>Select a tunnel to see the flows it carried</source>
            <translation>Wählen Sie einen Tunnel aus, um seine Flows zu sehen</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::ViewDocks</name>
        <message>
            <location filename="../ui/views/view_docks.cpp" line="24" />
            <source>Structure</source>
            <translation>Struktur</translation>
        </message>
        <message>
            <location filename="../ui/views/view_docks.cpp" line="29" />
            <source>Struct&amp;ure</source>
            <translation>Str&amp;uktur</translation>
        </message>
        <message>
            <location filename="../ui/views/view_docks.cpp" line="34" />
            <source>Timeline</source>
            <translation>Zeitleiste</translation>
        </message>
        <message>
            <location filename="../ui/views/view_docks.cpp" line="39" />
            <source>Time&amp;line</source>
            <translation>Zeit&amp;leiste</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::WebSocketMessageModel</name>
        <message>
            <location filename="../ui/detail/websocket_message_model.cpp" line="1" />
            <source>Text</source>
            <translation>Text</translation>
        </message>
        <message>
            <location filename="../ui/detail/websocket_message_model.cpp" line="1" />
            <source>Binary</source>
            <translation>Binär</translation>
        </message>
        <message>
            <location filename="../ui/detail/websocket_message_model.cpp" line="1" />
            <source>Close</source>
            <translation>Close</translation>
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
            <translation>Opcode %1</translation>
        </message>
        <message>
            <location filename="../ui/detail/websocket_message_model.cpp" line="1" />
            <source>Sent by the client</source>
            <translation>Vom Client gesendet</translation>
        </message>
        <message>
            <location filename="../ui/detail/websocket_message_model.cpp" line="1" />
            <source>Received from the server</source>
            <translation>Vom Server empfangen</translation>
        </message>
        <message>
            <location filename="../ui/detail/websocket_message_model.cpp" line="1" />
            <source>Time</source>
            <translation>Zeit</translation>
        </message>
        <message>
            <location filename="../ui/detail/websocket_message_model.cpp" line="1" />
            <source>Type</source>
            <translation>Typ</translation>
        </message>
        <message>
            <location filename="../ui/detail/websocket_message_model.cpp" line="1" />
            <source>Size</source>
            <translation>Größe</translation>
        </message>
        <message>
            <location filename="../ui/detail/websocket_message_model.cpp" line="1" />
            <source>Data</source>
            <translation>Daten</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::WebSocketView</name>
        <message>
            <location filename="../ui/detail/websocket_view.cpp" line="1" />
            <source>Select a message to see it whole.</source>
            <translation>Wählen Sie eine Nachricht aus, um sie ganz zu sehen.</translation>
        </message>
        <message numerus="yes">
            <location filename="../ui/detail/websocket_view.cpp" line="1" />
            <source>%n message(s) not recorded: past this flow's budget.</source>
            <translation>
                <numerusform>%n Nachricht nicht aufgezeichnet: über dem Budget dieses Flows.</numerusform>
                <numerusform>%n Nachrichten nicht aufgezeichnet: über dem Budget dieses Flows.</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <location filename="../ui/detail/websocket_view.cpp" line="1" />
            <source>%n long message(s) recorded in part.</source>
            <translation>
                <numerusform>%n lange Nachricht nur teilweise aufgezeichnet.</numerusform>
                <numerusform>%n lange Nachrichten nur teilweise aufgezeichnet.</numerusform>
            </translation>
        </message>
        <message>
            <location filename="../ui/detail/websocket_view.cpp" line="1" />
            <source>Recording stopped: %1</source>
            <translation>Aufzeichnung angehalten: %1</translation>
        </message>
        <message>
            <location filename="../ui/detail/websocket_view.cpp" line="1" />
            <source>Close code %1</source>
            <translation>Close-Code %1</translation>
        </message>
    </context>
</TS>
