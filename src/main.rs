fn main() {
    consent_widget::start();
}
