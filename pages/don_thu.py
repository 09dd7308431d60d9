"""placeholder"""
import streamlit as st
st.title("don_thu")
