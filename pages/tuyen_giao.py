"""placeholder"""
import streamlit as st
st.title("tuyen_giao")
