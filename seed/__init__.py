"""Bundled real data: conversion of the SUCCURRO seed records and loading into the database."""
