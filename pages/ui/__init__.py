"""What the pages share, by concern (context, navigation, formatting, feedback, forms, charts,
privacy_panels). Pages stay thin: they call these and db/, and hold no rule or SQL."""
