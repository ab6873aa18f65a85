// Stands in for the CSS files the bundler loads, which jest cannot.
module.exports = '';
