// Stands in for the SVG and CSS files the bundler loads, which jest cannot.
module.exports = '';
