const path = require('node:path');
const webpack = require('webpack');
const HtmlWebpackPlugin = require('html-webpack-plugin');
const OrigindPlugin = require('webpack-plugin-origind');

// APP_VERSION changes the bytes of every chunk, so each test release is a new build.
module.exports = {
  mode: 'production',
  entry: './src/index.js',
  output: {
    path: path.resolve(__dirname, process.env.OUT_DIR || 'dist'),
    filename: 'assets/[name].[contenthash].js',
    chunkFilename: 'assets/[name].[contenthash].js',
    crossOriginLoading: 'anonymous',
    clean: true,
  },
  plugins: [
    new webpack.DefinePlugin({ __APP_VERSION__: JSON.stringify(process.env.APP_VERSION || 'dev') }),
    new HtmlWebpackPlugin({ title: 'origind webpack app', scriptLoading: 'module' }),
    new OrigindPlugin(),
  ],
};
